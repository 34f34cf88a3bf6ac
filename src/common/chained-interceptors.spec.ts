import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, map, type Observable, of } from 'rxjs';
import { ChainedInterceptors, type SynchronousInterceptor } from './chained-interceptors.js';

const context = {} as ExecutionContext;

/** Logs its name when it intercepts, then passes the value on with its name appended. */
function tagging(name: string, log: string[]): SynchronousInterceptor {
  return {
    intercept(_context, next): Observable<unknown> {
      log.push(name);
      return next.handle().pipe(map((value) => `${String(value)}>${name}`));
    },
  };
}

describe('ChainedInterceptors', () => {
  it('runs the interceptors outermost first, the handler innermost, and maps back out', async () => {
    const log: string[] = [];
    const handler: CallHandler = {
      handle: () => {
        log.push('handler');
        return of('value');
      },
    };
    const chain = new ChainedInterceptors([tagging('a', log), tagging('b', log), tagging('c', log)]);
    assert.equal(await lastValueFrom(chain.intercept(context, handler)), 'value>c>b>a');
    assert.deepEqual(log, ['a', 'b', 'c', 'handler']);
  });

  it('calls the inner interceptors again each time an interceptor calls handle() again', async () => {
    const log: string[] = [];
    const twice: SynchronousInterceptor = {
      intercept: (_context, next) => {
        next.handle();
        return next.handle();
      },
    };
    const chain = new ChainedInterceptors([twice, tagging('inner', log)]);
    assert.equal(await lastValueFrom(chain.intercept(context, { handle: () => of('ok') })), 'ok>inner');
    assert.deepEqual(log, ['inner', 'inner']);
  });

  it('with no interceptors answers the handler itself', async () => {
    const chain = new ChainedInterceptors([]);
    assert.equal(await lastValueFrom(chain.intercept(context, { handle: () => of(7) })), 7);
  });
});
