import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Response } from 'express';
import { setHeaderBeforeSend } from './header-before-send.js';

/** The part of a response the function touches, recording what it is asked to do. */
function fakeResponse() {
  const calls: string[] = [];
  const res = {
    headersSent: false,
    setHeader(name: string, value: string) {
      calls.push(`${name}=${value}`);
    },
    writeHead: (status: number): unknown => {
      calls.push(`writeHead ${status}`);
      return res;
    },
  };
  return { res, calls, asResponse: res as unknown as Response };
}

describe('setHeaderBeforeSend', () => {
  it('reads each value when the headers are written, the header registered last first', () => {
    const { res, calls, asResponse } = fakeResponse();
    let quota: string | undefined = 'not yet';
    setHeaderBeforeSend(asResponse, 'X-First', () => 'one');
    setHeaderBeforeSend(asResponse, 'X-Second', () => quota);
    quota = '42';
    res.writeHead(200);
    assert.deepEqual(calls, ['X-Second=42', 'X-First=one', 'writeHead 200']);
  });

  it('sets nothing for an undefined value', () => {
    const { res, calls, asResponse } = fakeResponse();
    setHeaderBeforeSend(asResponse, 'X-Absent', () => undefined);
    res.writeHead(204);
    assert.deepEqual(calls, ['writeHead 204']);
  });

  it('patches writeHead once per response, however many headers wait', () => {
    const { res, asResponse } = fakeResponse();
    setHeaderBeforeSend(asResponse, 'X-First', () => 'one');
    const patched = res.writeHead;
    setHeaderBeforeSend(asResponse, 'X-Second', () => 'two');
    assert.equal(res.writeHead, patched);
  });
});
