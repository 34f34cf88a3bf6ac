import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';

/*
 * What the remote adapters' specs share: a local HTTP server standing in for a provider's
 * documented API (the handler implements the contract), the transport faults every provider
 * can show (hang, connection reset, a body that trickles in), and a leak check for errors.
 * Traffic stays on 127.0.0.1.
 */

export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => void | Promise<void>;

export interface LocalHttpServer {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  readonly url: string;
  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  readonly connections: number;
  /** Answers cut off by the client before they were complete (an abort or a deadline). */
  readonly cutOff: number;
  close(): Promise<void>;
}

/** Starts a server on an ephemeral loopback port; each request's body is read before the handler runs. */
export async function startLocalHttpServer(handler: RequestHandler): Promise<LocalHttpServer> {
  let connections = 0;
  let cutOff = 0;
  const server: Server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) cutOff++;
    });
    readBody(req)
      .then((body) => handler(req, res, body))
      .catch((error: unknown) => res.destroy(error instanceof Error ? error : new Error(String(error))));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get connections() {
      return connections;
    },
    get cutOff() {
      return cutOff;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A local server for the whole spec file: started in a before() hook, closed in an after()
 * hook; its properties are readable from the tests on.
 */
export function useLocalHttpServer(handler: RequestHandler): LocalHttpServer {
  let server: LocalHttpServer | undefined;
  before(async () => {
    server = await startLocalHttpServer(handler);
  });
  after(() => server?.close());
  const started = (): LocalHttpServer => {
    if (!server) throw new Error('The local server starts in a before() hook; read it from tests only.');
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get connections() {
      return started().connections;
    },
    get cutOff() {
      return started().cutOff;
    },
    close: () => started().close(),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Faults below HTTP that any provider can show. */
export type TransportFault = 'hang' | 'reset' | 'slow_stream';
export const TRANSPORT_FAULTS: readonly TransportFault[] = ['hang', 'reset', 'slow_stream'];

/** How slowly a slow_stream answer trickles in: one byte per interval. */
export const SLOW_STREAM_BYTE_INTERVAL_MS = 200;

/**
 * Plays a transport fault: `hang` never answers, `reset` destroys the socket, `slow_stream`
 * sends a 200 with `contentType` and then `body` one byte per SLOW_STREAM_BYTE_INTERVAL_MS.
 */
export function playTransportFault(
  fault: TransportFault,
  req: IncomingMessage,
  res: ServerResponse,
  contentType = 'application/json',
  body: Uint8Array = Buffer.from('{"slow":true}'),
): void {
  switch (fault) {
    case 'hang':
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'slow_stream': {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': String(body.byteLength) });
      let at = 0;
      const timer = setInterval(() => {
        if (at >= body.byteLength) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(body.subarray(at, at + 1));
        at++;
      }, SLOW_STREAM_BYTE_INTERVAL_MS);
      res.on('close', () => clearInterval(timer));
      return;
    }
  }
}

/** The URL of a loopback port nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Everything an error would show when logged: message, causes, and their own properties. */
export function everythingAnErrorShows(error: unknown): string {
  const seen: string[] = [];
  for (let current = error, depth = 0; current && depth < 6; depth++) {
    if (current instanceof Error) seen.push(current.message, current.stack ?? '');
    try {
      seen.push(JSON.stringify(current));
    } catch {
      seen.push(Object.prototype.toString.call(current));
    }
    current = (current as { cause?: unknown }).cause;
  }
  return seen.join('\n');
}

/** A sine tone: audible, deterministic PCM. */
export function sineTone(seconds: number, sampleRate: number, frequency = 440, amplitude = 8000): Int16Array {
  const samples = new Int16Array(Math.max(1, Math.round(seconds * sampleRate)));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  }
  return samples;
}
