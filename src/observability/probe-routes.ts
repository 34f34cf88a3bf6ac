import type { Request } from 'express';

/**
 * Liveness and readiness (GET /health/live, /health/ready): what load balancers,
 * orchestrators and container health checks poll, every few seconds, forever. They are
 * counted in the metrics like every request, but write no analytics row and no
 * per-request log line: thousands of identical rows and lines a day would bury the real
 * traffic. GET /health, the full report a person or a dashboard asks for, is recorded as
 * any other request.
 */
const PROBE_PATHS = new Set(['/health/live', '/health/ready']);

export function isProbeRequest(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && PROBE_PATHS.has(req.path);
}
