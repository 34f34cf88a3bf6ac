import pino, { type Logger } from 'pino';
import { RequestContextStore } from '../common/request-context.js';
import type { LogLevel } from '../config/config.schema.js';
import { REDACTED } from '../config/config.service.js';
import type { LogRedactor } from './log-redactor.js';

export interface RootLoggerOptions {
  level: LogLevel;
  format: 'json' | 'pretty';
  redactor: LogRedactor;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them. */
  destination?: pino.DestinationStream;
}

/**
 * The server's one pino logger. Every line written while a request is served carries its
 * request_id (from AsyncLocalStorage); header and key fields are censored by path, and
 * configured secret values are scrubbed from every string.
 */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'speech-gateway' },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    mixin() {
      const context = RequestContextStore.current();
      return context ? { request_id: context.requestId } : {};
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        '*.api_key',
        '*.apiKey',
        '*.password',
        '*.secret',
        '*.token',
      ],
      censor: REDACTED,
    },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => options.redactor.redactValue(arg)) as Parameters<typeof method>;
        method.apply(this, redacted);
      },
    },
  };
  if (options.format === 'pretty') {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } },
    });
  }
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}
