import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream, Logger } from 'pino';
import { AppModule } from './app.module.js';
import { inputGuardMiddleware } from './common/input-guard.middleware.js';
import { jsonBodyMiddleware } from './common/json-body.middleware.js';
import { MeteringService } from './accounts/metering.service.js';
import { BOOTSTRAP_KEY_FILE } from './accounts/bootstrap-admin.js';
import { AppError } from './common/app-error.js';
import { InFlightRequests } from './common/in-flight-requests.js';
import { corsMiddleware } from './common/cors.middleware.js';
import { requestContextMiddleware } from './common/request-context.middleware.js';
import { ConfigService } from './config/config.service.js';
import type { Environment } from './config/env-overrides.js';
import { connectDatabase, type DatabaseConnection } from './database/database-connection.js';
import type { GatewayRuntimeInfo } from './gateway-runtime-info.js';
import { createRootLogger } from './observability/logger.factory.js';
import { LogRedactor } from './observability/log-redactor.js';
import { listeningUrls } from './listening-urls.js';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { GatewayPinoLogger } from './observability/gateway-pino-logger.js';
import { createRequestLogger } from './observability/request-logger.js';
import { livenessFastPath } from './observability/liveness-fast-path.js';
import { RequestObserver } from './observability/request-observer.js';
import { GatewayMetrics } from './observability/metrics/gateway-metrics.js';
import { MetricsPortServer } from './observability/metrics/metrics-port.server.js';

export interface GatewayOptions {
  configPath: string;
  /** Environment variables for config overrides (main.ts passes process.env). */
  env: Environment;
  /** Relative folders (data, outputs, …) resolve against this; default: the working directory. */
  rootDir?: string;
  /** The --port flag; wins over PORT and server.port. */
  port?: number;
  /** Where log lines go (tests read them); default stdout. */
  logDestination?: DestinationStream;
  extraModules?: Type[];
  /**
   * Receives the one-time bootstrap admin key notice, after the "listening" line (default:
   * stderr, never the log).
   */
  bootstrapKeySink?: (message: string) => void;
}

/** A built server: the Nest app plus what bootstrap owns around it. */
export interface Gateway {
  app: INestApplication;
  config: ConfigService;
  logger: Logger;
  database: DatabaseConnection;
  listen(): Promise<string>;
  /**
   * Stops taking requests (503 SERVICE_NOT_READY, readiness too), lets in-flight ones finish
   * up to server.shutdown_timeout_seconds, aborts the rest and releases their quota
   * reservations, then disposes engines, flushes analytics and closes the database.
   */
  close(): Promise<void>;
}

async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8').catch(() => '{}');
  const parsed = JSON.parse(text) as { version?: string };
  return parsed.version ?? '0.0.0';
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const rootDir = options.rootDir ?? process.cwd();
  const config = await ConfigService.load(options.configPath, options.env);
  const settings = config.current;

  const redactor = new LogRedactor();
  redactor.setSecrets(config.secretValues());
  const logger = createRootLogger({
    level: settings.middleware.logging.logLevel,
    format: settings.middleware.logging.format,
    redactor,
    destination: options.logDestination,
  });
  config.useLogger(logger);
  const requestLogger = createRequestLogger(logger, config);
  config.onChange((next) => {
    logger.level = next.middleware.logging.logLevel;
    redactor.setSecrets(config.secretValues());
  });
  for (const warning of config.deprecationWarnings) logger.warn(`deprecated config key: ${warning}`);
  for (const override of config.envOverrides) {
    logger.info({ variable: override.variable, path: override.path }, 'config key overridden by environment');
  }
  if (!settings.auth.enforce) {
    logger.warn(
      'AUTHENTICATION IS OFF (auth.enforce=false / ENFORCE_AUTH=false): every request is served without an API key. Never run like this in production.',
    );
  }

  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(rootDir, path));
  const folders = {
    referenceAudio: absolute(settings.paths.referenceAudio),
    voices: absolute(settings.paths.voices),
    outputs: absolute(settings.paths.outputs),
  };
  const tempDir = settings.paths.temp ? absolute(settings.paths.temp) : join(tmpdir(), 'speech-gateway');
  await Promise.all([...Object.values(folders), tempDir].map((folder) => mkdir(folder, { recursive: true })));

  const database = await connectDatabase({ config: settings.database, rootDir, logger });
  const metrics = new GatewayMetrics();
  metrics.trackDatabasePool(() => poolCountsOf(database));
  const runtime: GatewayRuntimeInfo = {
    version: await packageVersion(),
    databaseKind: database.kind,
    folders,
    tempDir,
    bootstrapKeyFile: resolve(rootDir, BOOTSTRAP_KEY_FILE),
    engineCallObserver: metrics,
  };
  // Held until the server listens, so the key is the last thing a newcomer sees, not buried in start-up lines.
  const bootstrapNotices: string[] = [];

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.register({
        config,
        logger,
        dataSource: database.dataSource,
        runtime,
        metrics,
        extraModules: options.extraModules,
        bootstrapKeySink: (message) => bootstrapNotices.push(message),
      }),
      {
        logger: new NestPinoLogger(new GatewayPinoLogger(logger), {}),
        bodyParser: false,
        abortOnError: false,
      },
    );
  } catch (error) {
    await database.close();
    throw error;
  }
  app.disable('x-powered-by');
  // Envelopes carry a timestamp, so an ETag never matches; hashing every body is wasted work.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use(requestContextMiddleware(() => config.current.server.requestIdHeader));
  app.use(metrics.httpMiddleware);
  app.use(requestLogger);
  app.use(corsMiddleware(() => config.current));
  const inFlight = new InFlightRequests();
  app.use(inFlight.middleware);
  app.use(
    jsonBodyMiddleware(settings.server.maxJsonBodyKb),
    inputGuardMiddleware(() => config.current.server.maxJsonDepth),
  );
  // Last middleware: liveness probes are answered here, before Nest's router.
  app.use(livenessFastPath(app.get(RequestObserver)));
  // Built on the first request for it, not at start: the document is a few MB of objects
  // an operator may never ask for.
  SwaggerModule.setup('docs', app, () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('speech-gateway')
        .setDescription('Speech engines, local and cloud, behind one hardened API.')
        .setVersion(runtime.version)
        .addBearerAuth()
        .build(),
    ),
  );
  config.watch();

  const metricsPort = new MetricsPortServer(metrics, config, logger);
  let closing: Promise<void> | undefined;
  const gateway: Gateway = {
    app,
    config,
    logger,
    database,
    async listen() {
      const port = options.port ?? config.current.server.port;
      await app.listen(port, config.current.server.host);
      const address = app.getHttpServer().address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
      logger.info(
        {
          address: address.address,
          port: address.port,
          urls: listeningUrls(address),
          database: database.kind,
        },
        'speech-gateway listening',
      );
      const { enabled, port: scrapePort } = config.current.metrics;
      if (enabled && scrapePort !== undefined) {
        try {
          await metricsPort.listen(scrapePort, config.current.server.host);
        } catch (error) {
          await gateway.close();
          throw error;
        }
      }
      logger.flush?.();
      const sink = options.bootstrapKeySink ?? ((message: string) => process.stderr.write(`${message}\n`));
      for (const notice of bootstrapNotices.splice(0)) sink(notice);
      return url;
    },
    close() {
      closing ??= metricsPort.close().then(() => shutDown({ app, config, logger, database, inFlight }));
      return closing;
    },
  };
  return gateway;
}

/** The pg pool's connection counts (PostgreSQL and the embedded database both use the pg driver). */
function poolCountsOf(
  database: DatabaseConnection,
): { total: number; idle: number; waiting: number } | undefined {
  // TypeORM types the postgres driver's pool as `any`; read it as unknown and check the shape.
  const pool: unknown = (database.dataSource.driver as { master?: unknown }).master;
  if (typeof pool !== 'object' || pool === null) return undefined;
  const { totalCount, idleCount, waitingCount } = pool as Record<string, unknown>;
  if (typeof totalCount !== 'number' || typeof idleCount !== 'number' || typeof waitingCount !== 'number') {
    return undefined;
  }
  return { total: totalCount, idle: idleCount, waiting: waitingCount };
}

/** How long aborted requests get to settle (release their reservations) before they are forced to. */
const ABORT_GRACE_MS = 3000;
/** After the drain, connections still open (idle keep-alive, late refusals) get this long to close. */
const CONNECTION_CLOSE_GRACE_MS = 1000;

interface Running {
  app: NestExpressApplication;
  config: ConfigService;
  logger: Logger;
  database: DatabaseConnection;
  inFlight: InFlightRequests;
}

/**
 * The shutdown order. Nest's app.close() alone would dispose the engines (destroy hooks)
 * before the HTTP server stops, and the database would close under requests still
 * settling their quota; so the requests are drained first, here.
 */
async function shutDown({ app, config, logger, database, inFlight }: Running): Promise<void> {
  const server = app.getHttpServer();
  const timeoutSeconds = config.current.server.shutdownTimeoutSeconds;
  // 1. Stop accepting: new requests and readiness answer 503; keep-alive connections are let go.
  inFlight.stopAccepting();
  server.closeIdleConnections();
  logger.info({ inFlight: inFlight.size, timeoutSeconds }, 'draining: new requests are refused');
  // 2. In-flight requests finish, up to the timeout.
  if (!(await inFlight.idle(timeoutSeconds * 1000))) {
    // 3. The rest are aborted; their metered work releases its reservations (REQUEST_CANCELLED),
    //    and whatever has not settled after a grace period is released here (SERVICE_NOT_READY).
    const aborted = inFlight.abortUnpaid();
    logger.warn({ aborted, timeoutSeconds }, 'shutdown timeout: aborting the requests still in flight');
    // Answers already paid for finish sending.
    await inFlight.idle(ABORT_GRACE_MS);
  }
  const forced = await app
    .get(MeteringService)
    .settleOpenCalls(
      ABORT_GRACE_MS,
      new AppError('SERVICE_NOT_READY', 'The server shut down before the request finished.'),
    );
  if (forced > 0) logger.warn({ released: forced }, 'quota reservations released at shutdown');
  // 4. Stop listening, dispose the engines (destroy hooks), flush analytics (shutdown hooks).
  //    The listener closes now, not when Nest gets to it after the hooks: a connection opened
  //    meanwhile (say, one that never finishes its headers) would hold the close for minutes.
  server.close();
  const forceTimer = setTimeout(() => server.closeAllConnections(), CONNECTION_CLOSE_GRACE_MS);
  forceTimer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(forceTimer);
    config.onModuleDestroy();
    // 5. Last, the database: nothing is left to write.
    await database.close();
    logger.info('speech-gateway stopped');
    logger.flush?.();
  }
}
