import 'reflect-metadata';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigValidationError } from './config/config.service.js';
import { createGateway } from './gateway.js';

/* The process edge: the only place that reads argv and process.env. */

/** Seconds past the shutdown timeout after which a stuck shutdown ends the process anyway. */
const SHUTDOWN_BACKSTOP_SECONDS = 20;

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be an integer between 0 and 65535, got '${value}'\n`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, config: { type: 'string' } },
    allowPositionals: false,
  });
  const configPath = resolve(values.config ?? process.env['SPEECH_GATEWAY_CONFIG'] ?? 'config/config.yaml');
  const gateway = await createGateway({ configPath, env: process.env, port: parsePort(values.port) });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down; waiting for in-flight requests');
    // The drain is bounded by server.shutdown_timeout_seconds; this only guards against a hang after it.
    const backstopSeconds = gateway.config.current.server.shutdownTimeoutSeconds + SHUTDOWN_BACKSTOP_SECONDS;
    setTimeout(() => {
      gateway.logger.error({ seconds: backstopSeconds }, 'shutdown did not finish; exiting anyway');
      gateway.logger.flush?.();
      process.exit(1);
    }, backstopSeconds * 1000).unref();
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await gateway.listen();
}

/** An error's message; an AggregateError (a host name with several addresses refusing) has one per address. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && !error.message) {
    return error.errors.map((inner: unknown) => describe(inner)).join('; ');
  }
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * A start-up failure is one clear message and the exit code; the stack trace is for
 * debugging (LOG_LEVEL=debug), not for the operator reading why the server did not start.
 */
function exitOnStartFailure(error: unknown): never {
  const code = error instanceof ConfigValidationError ? 78 : 1;
  const message =
    error instanceof ConfigValidationError
      ? error.message
      : `speech-gateway failed to start: ${describe(error)}`;
  process.stderr.write(`${message}\n(exit code ${code})\n`);
  if (process.env['LOG_LEVEL']?.toLowerCase() === 'debug' && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(code);
}

main().catch(exitOnStartFailure);
