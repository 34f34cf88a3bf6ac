import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  StreamableFile,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, type Observable } from 'rxjs';
import { buildEnvelope, Enveloped } from './envelope.js';
import { RAW_RESPONSE } from './raw-response.decorator.js';
import { RequestContextStore } from './request-context.js';
import { routeMetadataCache } from './route-metadata.js';

/** Wraps what native controllers return in the envelope; @RawResponse() handlers opt out. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http' || rawResponses.of(this.reflector, context) === true)
      return next.handle();
    return next.handle().pipe(map(envelopeOf));
  }
}

/** Whether a route opted out with @RawResponse(), looked up once per route. */
const rawResponses = routeMetadataCache<boolean>(RAW_RESPONSE);

function envelopeOf(value: unknown): unknown {
  if (value instanceof StreamableFile || Buffer.isBuffer(value)) return value;
  const store = RequestContextStore.current();
  const enveloped: Enveloped<unknown> =
    value instanceof Enveloped ? (value as Enveloped<unknown>) : new Enveloped(value ?? null, 'OK');
  return buildEnvelope({
    status: 'success',
    message: enveloped.message,
    data: enveloped.data,
    requestId: store?.requestId ?? 'unknown',
    errorCode: null,
    startedAt: store?.startedAt ?? process.hrtime.bigint(),
  });
}
