import type { Request } from 'express';

/**
 * The health family (GET /health, /health/live, /health/ready): what load balancers,
 * orchestrators and uptime monitors poll, every few seconds, forever. They are counted in
 * the metrics like every request, but write no analytics row and no per-request log line:
 * thousands of identical rows and lines a day would bury the real traffic.
 */
const PROBE_PATHS = new Set(['/health', '/health/live', '/health/ready']);

export function isProbeRequest(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && PROBE_PATHS.has(req.path);
}
