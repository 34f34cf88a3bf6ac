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

/** Wraps what native controllers return in the envelope; @RawResponse() handlers opt out. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const raw = this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (raw || context.getType() !== 'http') return next.handle();
    return next.handle().pipe(
      map((value: unknown) => {
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
      }),
    );
  }
}
