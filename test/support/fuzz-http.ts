import { connect } from 'node:net';
import type { FuzzRequest } from './request-fuzzer.js';

/*
 * A bare HTTP/1.1 client over a TCP socket: fetch cannot send a wrong Content-Length, an
 * unterminated body or a header it considers invalid, and the fuzzer needs all of those.
 */

export interface RawAnswer {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

export type SendOutcome = { kind: 'answer'; answer: RawAnswer } | { kind: 'no-answer'; reason: string };

/** Whether the request's body is deliberately incomplete (the server cannot answer it normally). */
export function isIncomplete(request: FuzzRequest): boolean {
  return request.framing === 'long-length';
}

/** The request's bytes as they go on the wire. */
export function encodeRequest(request: FuzzRequest, extraHeaders: ReadonlyArray<[string, string]>): Buffer {
  const body = request.body ?? Buffer.alloc(0);
  const headers: Array<[string, string]> = [
    ['Host', '127.0.0.1'],
    ['Connection', 'close'],
    ...extraHeaders,
    ...request.headers,
  ];
  let payload = body;
  switch (request.framing) {
    case 'none':
      break;
    case 'length':
      headers.push(['Content-Length', String(body.length)]);
      break;
    case 'short-length':
      headers.push(['Content-Length', String(Math.max(0, body.length - 7))]);
      break;
    case 'long-length':
      headers.push(['Content-Length', String(body.length + 100)]);
      break;
    case 'bad-length':
      headers.push(['Content-Length', `${body.length}abc`]);
      break;
    case 'double-length':
      headers.push(['Content-Length', String(body.length)], ['Content-Length', String(body.length + 1)]);
      break;
    case 'chunked': {
      headers.push(['Transfer-Encoding', 'chunked']);
      const half = Math.floor(body.length / 2);
      const chunk = (part: Buffer) =>
        Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]);
      payload = Buffer.concat([
        chunk(body.subarray(0, half)),
        chunk(body.subarray(half)),
        Buffer.from('0\r\n\r\n'),
      ]);
      break;
    }
  }
  const head = `${request.method} ${request.target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** Parses the first final (non-1xx) answer in `data`; null while it is incomplete. */
export function parseAnswer(data: Buffer, method: string, ended: boolean): RawAnswer | null {
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return null;
    const lines = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? NaN);
    if (!Number.isInteger(status)) throw new Error(`not an HTTP answer: ${lines[0].slice(0, 80)}`);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const start = headEnd + 4;
    if (status < 200) {
      offset = start;
      continue;
    }
    if (method.toUpperCase() === 'HEAD' || status === 204 || status === 304) {
      return { status, headers, body: Buffer.alloc(0) };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      let at = start;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', at);
        if (lineEnd < 0) return ended ? { status, headers, body: Buffer.concat(chunks) } : null;
        const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
        if (size === 0) return { status, headers, body: Buffer.concat(chunks) };
        if (data.length < lineEnd + 2 + size)
          return ended ? { status, headers, body: Buffer.concat(chunks) } : null;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      const end = start + Number(length);
      if (data.length >= end) return { status, headers, body: data.subarray(start, end) };
      return ended ? { status, headers, body: data.subarray(start) } : null;
    }
    return ended ? { status, headers, body: data.subarray(start) } : null;
  }
}

/** Sends raw bytes and reads one answer. A closed connection or a timeout is a 'no-answer'. */
export function sendRaw(
  address: { host: string; port: number },
  bytes: Buffer,
  options: { method: string; timeoutMs: number; halfClose: boolean },
): Promise<SendOutcome> {
  return new Promise((resolve) => {
    const socket = connect(address.port, address.host);
    const received: Buffer[] = [];
    let settled = false;
    const finish = (outcome: SendOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const tryParse = (ended: boolean, reason: string) => {
      try {
        const answer = parseAnswer(Buffer.concat(received), options.method, ended);
        if (answer) finish({ kind: 'answer', answer });
        else if (ended) finish({ kind: 'no-answer', reason });
      } catch (error) {
        finish({ kind: 'no-answer', reason: (error as Error).message });
      }
    };
    const timer = setTimeout(
      () => finish({ kind: 'no-answer', reason: `no answer within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(bytes, () => {
        if (options.halfClose) socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      tryParse(false, '');
    });
    socket.on('end', () => tryParse(true, 'connection closed without an answer'));
    socket.on('error', (error: NodeJS.ErrnoException) => tryParse(true, error.code ?? error.message));
    socket.on('close', () => tryParse(true, 'connection closed without an answer'));
  });
}
