import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Request, Response } from 'express';
import { RequestContextStore } from './request-context.js';
import { requestContextMiddleware } from './request-context.middleware.js';

function run(
  middleware: ReturnType<typeof requestContextMiddleware>,
  headers: Record<string, string>,
): { sent: Record<string, string>; requestId: string | undefined } {
  const sent: Record<string, string> = {};
  const req = { headers, ip: '127.0.0.1', header: (name: string) => headers[name.toLowerCase()] };
  const res = { setHeader: (name: string, value: string) => (sent[name] = value) };
  let requestId: string | undefined;
  middleware(req as unknown as Request, res as unknown as Response, () => {
    requestId = RequestContextStore.current()?.requestId;
  });
  return { sent, requestId };
}

describe('requestContextMiddleware', () => {
  it('follows a change of the configured header name on the next request', () => {
    let name = 'X-Correlation-ID';
    const middleware = requestContextMiddleware(() => name);
    const first = run(middleware, { 'x-correlation-id': 'abc' });
    assert.equal(first.requestId, 'abc');
    assert.deepEqual(first.sent, { 'X-Request-ID': 'abc', 'X-Correlation-ID': 'abc' });

    name = 'X-Trace';
    const second = run(middleware, { 'x-correlation-id': 'abc', 'x-trace': 'def' });
    assert.equal(second.requestId, 'def');
    assert.deepEqual(second.sent, { 'X-Request-ID': 'def', 'X-Trace': 'def' });
  });

  it('echoes X-Request-ID once when the configured name is it in another case', () => {
    const middleware = requestContextMiddleware(() => 'x-request-id');
    const { sent, requestId } = run(middleware, { 'x-request-id': 'same' });
    assert.equal(requestId, 'same');
    assert.deepEqual(sent, { 'X-Request-ID': 'same' });
  });
});
