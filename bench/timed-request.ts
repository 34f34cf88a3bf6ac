/** One HTTP request timed to its first and last body byte; the body is counted, never kept. */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface TimedAnswer {
  status: number;
  /** Request start to the first body byte, ms. */
  firstByteMs: number;
  /** Request start to the last body byte, ms. */
  totalMs: number;
  bytes: number;
  /** The first 500 bytes of a non-2xx answer (its error envelope). */
  errorBody?: string;
}

export function timedRequest(
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<TimedAnswer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(options.body !== undefined ? { 'Content-Length': Buffer.byteLength(options.body) } : {}),
        },
      },
      (res) => {
        let firstByteMs = Number.NaN;
        let bytes = 0;
        let errorBody = '';
        const status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => {
          if (bytes === 0) firstByteMs = performance.now() - started;
          bytes += chunk.length;
          if ((status < 200 || status >= 300) && errorBody.length < 500) errorBody += chunk.toString('utf8');
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status,
            firstByteMs,
            totalMs: performance.now() - started,
            bytes,
            ...(errorBody ? { errorBody: errorBody.slice(0, 500) } : {}),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
