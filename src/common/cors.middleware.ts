import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/config.schema.js';

/** Answer headers a browser client may read (they are otherwise hidden from cross-origin scripts). */
export const EXPOSED_HEADERS = [
  'X-Request-ID',
  'X-Audio-Duration',
  'X-Sample-Rate',
  'X-Voice-Used',
  'X-Engine',
  'X-Quota-Remaining',
  'X-Cache',
  'RateLimit-Policy',
  'RateLimit',
  'Retry-After',
];

/** What the middleware needs from one config version, worked out once per version. */
interface CorsPolicy {
  /** Empty: CORS is off. */
  origins: ReadonlySet<string>;
  anyOrigin: boolean;
  allowCredentials: boolean;
  exposedHeaders: string;
  /** Upper case. */
  methods: ReadonlySet<string>;
  allowMethods: string;
  allowHeaders: string;
  maxAge: string;
}

function corsPolicyOf({ cors, server }: AppConfig): CorsPolicy {
  const origins = new Set([...cors.allowedOrigins, ...server.corsOrigins]);
  const requestIdHeader = server.requestIdHeader;
  const named = (names: readonly string[]) =>
    names.some((name) => name.toLowerCase() === requestIdHeader.toLowerCase());
  const methods = cors.allowedMethods.map((method) => method.toUpperCase());
  return {
    origins,
    anyOrigin: origins.has('*'),
    allowCredentials: cors.allowCredentials,
    exposedHeaders: (named(EXPOSED_HEADERS) ? EXPOSED_HEADERS : [...EXPOSED_HEADERS, requestIdHeader]).join(
      ', ',
    ),
    methods: new Set(methods),
    allowMethods: methods.join(', '),
    allowHeaders: (named(cors.allowedHeaders)
      ? cors.allowedHeaders
      : [...cors.allowedHeaders, requestIdHeader]
    ).join(', '),
    maxAge: String(cors.maxAgeSeconds),
  };
}

/**
 * CORS from the live config (`cors:` and the older server.cors_origins), read per request
 * so an edit applies at once (what is derived from it is worked out once per config
 * version). An allowed origin gets its Access-Control-* headers (on errors too); an
 * allowed preflight is answered here with 204. A refused origin gets no CORS headers,
 * which is how a browser learns it is refused; the request goes on as any other (a
 * preflight then finds no route).
 */
export function corsMiddleware(
  settings: () => AppConfig,
): (req: Request, res: Response, next: NextFunction) => void {
  let policyOf: AppConfig | undefined;
  let policy: CorsPolicy | undefined;
  const currentPolicy = (): CorsPolicy => {
    const config = settings();
    if (policy === undefined || policyOf !== config) {
      policy = corsPolicyOf(config);
      policyOf = config;
    }
    return policy;
  };
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    const cors = currentPolicy();
    if (cors.origins.size === 0) return next();
    res.vary('Origin');
    if (!cors.anyOrigin && !cors.origins.has(origin)) return next();

    res.setHeader('Access-Control-Allow-Origin', cors.anyOrigin && !cors.allowCredentials ? '*' : origin);
    if (cors.allowCredentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', cors.exposedHeaders);

    const requestedMethod = req.header('Access-Control-Request-Method');
    if (req.method !== 'OPTIONS' || requestedMethod === undefined) return next();
    // A preflight: the method must be allowed; the answer names what is.
    res.vary('Access-Control-Request-Method');
    res.vary('Access-Control-Request-Headers');
    if (!cors.methods.has(requestedMethod.toUpperCase())) {
      res.removeHeader('Access-Control-Allow-Origin');
      res.removeHeader('Access-Control-Allow-Credentials');
      res.removeHeader('Access-Control-Expose-Headers');
      return next();
    }
    res.setHeader('Access-Control-Allow-Methods', cors.allowMethods);
    res.setHeader('Access-Control-Allow-Headers', cors.allowHeaders);
    res.setHeader('Access-Control-Max-Age', cors.maxAge);
    res.setHeader('Content-Length', '0');
    res.status(204).end();
  };
}
