/**
 * One autocannon run against a server in another process, with that process tree's CPU
 * time while it ran (from /proc). autocannon runs in a worker thread, so it does not share
 * this process's event loop with the bench's own bookkeeping.
 */
import autocannon from 'autocannon';
import { treeCpuMs } from './process-tree.js';

export interface Segment {
  /** 2xx answers. */
  ok: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the measured server's process tree meanwhile, ms. */
  cpuMs: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
}

export interface SegmentRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** The server's process id: its tree's CPU is measured. */
  serverPid: number;
}

export async function autocannonSegment(request: SegmentRequest): Promise<Segment> {
  const cpuBefore = await treeCpuMs(request.serverPid);
  const result = await autocannon({
    url: request.url,
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body,
    connections: request.connections,
    duration: request.seconds,
    workers: 1,
  });
  return {
    ok: result['2xx'],
    seconds: result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMs: (await treeCpuMs(request.serverPid)) - cpuBefore,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Segments of one side merged: throughput over the total time, CPU per 2xx answer. */
export interface Merged {
  requestsPerSecond: number;
  cpuUsPerRequest: number;
  /** Request-weighted mean of the segments' p50 / p99, ms. */
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failures: number;
}

export function mergeSegments(segments: Segment[]): Merged {
  const ok = segments.reduce((n, s) => n + s.ok, 0);
  const seconds = segments.reduce((n, s) => n + s.seconds, 0);
  const weighted = (pick: (s: Segment) => number) =>
    segments.reduce((n, s) => n + pick(s) * s.ok, 0) / Math.max(ok, 1);
  return {
    requestsPerSecond: ok / Math.max(seconds, 1e-9),
    cpuUsPerRequest: (segments.reduce((n, s) => n + s.cpuMs, 0) * 1000) / Math.max(ok, 1),
    p50Ms: weighted((s) => s.p50Ms),
    p99Ms: weighted((s) => s.p99Ms),
    ok,
    failures: segments.reduce((n, s) => n + s.non2xx + s.errors, 0),
  };
}
