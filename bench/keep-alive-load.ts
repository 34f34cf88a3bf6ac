/**
 * A closed-loop load generator on node:http keep-alive connections: `connections` loops,
 * each sending its next request when the previous answer has fully arrived (plus `thinkMs`),
 * until `durationMs` has passed; requests in flight at the deadline are finished and
 * counted. It records every latency (start of the request to the last body byte), so any
 * percentile can be computed, and counts non-2xx answers and connection errors apart.
 *
 * Used where autocannon does not fit: hundreds of connections with per-request latency
 * (P5), and a different body per request (uncached /tts).
 */
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface KeepAliveLoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The body of the next request (called once per request; a closure can vary it). */
  body?: () => string;
  connections: number;
  durationMs: number;
  /** Pause of each connection between an answer and its next request (default 0). */
  thinkMs?: number;
  /** A request not answered in full by then counts as an error (default 60 s). */
  timeoutMs?: number;
}

export interface KeepAliveLoadResult {
  /** Answers with a 2xx status. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Count per status code, e.g. { '200': 1234 }. */
  statuses: Record<string, number>;
  firstError?: string;
  /** From the first request to the last answer (in-flight ones at the deadline included). */
  seconds: number;
  /** Every 2xx answer's latency, ms, sorted ascending. */
  latenciesMs: number[];
  /** Distinct TCP connections used (should equal `connections`: keep-alive held). */
  sockets: number;
  bytes: number;
}

/** Nearest-rank percentile of ascending values (q in 0..1). */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export async function keepAliveLoad(options: KeepAliveLoadOptions): Promise<KeepAliveLoadResult> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: options.connections,
    maxFreeSockets: options.connections,
  });
  const target = new URL(options.url);
  const result: KeepAliveLoadResult = {
    ok: 0,
    non2xx: 0,
    errors: 0,
    statuses: {},
    seconds: 0,
    latenciesMs: [],
    sockets: 0,
    bytes: 0,
  };
  const sockets = new Set<Socket>();
  const timeoutMs = options.timeoutMs ?? 60_000;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const body = options.body?.();
      const started = performance.now();
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        result.errors++;
        result.firstError ??= error.message;
        resolve();
      };
      const req = request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: options.method ?? 'GET',
          headers: {
            ...options.headers,
            ...(body !== undefined ? { 'Content-Length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          res.on('data', (chunk: Buffer) => (result.bytes += chunk.length));
          res.on('error', fail);
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const status = res.statusCode ?? 0;
            result.statuses[status] = (result.statuses[status] ?? 0) + 1;
            if (status >= 200 && status < 300) {
              result.ok++;
              result.latenciesMs.push(performance.now() - started);
            } else {
              result.non2xx++;
            }
            resolve();
          });
        },
      );
      req.on('socket', (socket: Socket) => sockets.add(socket));
      req.setTimeout(timeoutMs, () => {
        req.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
      });
      req.on('error', fail);
      req.end(body);
    });

  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) {
        await once();
        if (options.thinkMs) await new Promise((resolve) => setTimeout(resolve, options.thinkMs));
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  result.sockets = sockets.size;
  result.latenciesMs.sort((a, b) => a - b);
  agent.destroy();
  return result;
}
