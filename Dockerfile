# speech-gateway image: Debian bookworm slim, Node.js 20, the speech engines' Debian packages.
# Not built in CI (no container runtime there); test/deployment-files.e2e-spec.ts checks this
# file statically (package list = scripts/install-speech-packages.sh, health path, volumes).
#
#   docker build -t speech-gateway .
#   docker run -p 8004:8004 -v sg-data:/app/data speech-gateway

# --- build: compile TypeScript, then keep only the production dependencies -------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
COPY ui ./ui
RUN npx tsc -p . \
 && npm run build:ui \
 && cp src/engines/adapters/pocketsphinx/pocketsphinx_server.py dist/src/engines/adapters/pocketsphinx/ \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime ------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
# The same packages scripts/install-speech-packages.sh installs (npm start does it at run time;
# here they are baked in, so the start-time install is skipped).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg espeak-ng flite pocketsphinx pocketsphinx-en-us python3-pocketsphinx \
 && rm -rf /var/lib/apt/lists/*

ENV SPEECH_GATEWAY_SKIP_APT=1 \
    SPEECH_GATEWAY_CONFIG=/app/config/config.yaml

WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config

# Folders the gateway writes: config.yaml (PATCH /config rewrites it), data/ (the embedded
# database in data/pglite and the first start's data/bootstrap-admin-key.txt), and the
# managed audio folders. They belong to the unprivileged `node` user of the base image.
RUN mkdir -p data reference_audio voices outputs \
 && chown -R node:node config data reference_audio voices outputs
USER node
VOLUME ["/app/config", "/app/data", "/app/reference_audio", "/app/voices", "/app/outputs"]

EXPOSE 8004
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8004) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "dist/src/main.js"]
