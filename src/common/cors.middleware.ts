import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../config/config.schema.js';

/** Answer headers a browser client may read (they are otherwise hidden from cross-origin scripts). */
export const EXPOSED_HEADERS = [
  'X-Request-ID',
  'X-Audio-Duration',
  'X-Sample-Rate',
  'X-Voice-Used',
  'X-Engine',
  'X-Quota-Remaining',
  'X-Cache',
  'RateLimit-Policy',
  'RateLimit',
  'Retry-After',
];

/**
 * CORS from the live config (`cors:` and the older server.cors_origins), read per request
 * so an edit applies at once. An allowed origin gets its Access-Control-* headers (on
 * errors too); an allowed preflight is answered here with 204. A refused origin gets no
 * CORS headers, which is how a browser learns it is refused; the request goes on as any
 * other (a preflight then finds no route).
 */
export function corsMiddleware(
  settings: () => AppConfig,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const origin = req.header('Origin');
    if (origin === undefined) return next();
    const { cors, server } = settings();
    const origins = [...cors.allowedOrigins, ...server.corsOrigins];
    if (origins.length === 0) return next();
    res.vary('Origin');
    const anyOrigin = origins.includes('*');
    if (!anyOrigin && !origins.includes(origin)) return next();

    res.setHeader('Access-Control-Allow-Origin', anyOrigin && !cors.allowCredentials ? '*' : origin);
    if (cors.allowCredentials) res.setHeader('Access-Control-Allow-Credentials', 'true');
    const requestIdHeader = server.requestIdHeader;
    const exposed = EXPOSED_HEADERS.some((name) => name.toLowerCase() === requestIdHeader.toLowerCase())
      ? EXPOSED_HEADERS
      : [...EXPOSED_HEADERS, requestIdHeader];
    res.setHeader('Access-Control-Expose-Headers', exposed.join(', '));

    const requestedMethod = req.header('Access-Control-Request-Method');
    if (req.method !== 'OPTIONS' || requestedMethod === undefined) return next();
    // A preflight: the method must be allowed; the answer names what is.
    const methods = cors.allowedMethods.map((method) => method.toUpperCase());
    res.vary('Access-Control-Request-Method');
    res.vary('Access-Control-Request-Headers');
    if (!methods.includes(requestedMethod.toUpperCase())) {
      res.removeHeader('Access-Control-Allow-Origin');
      res.removeHeader('Access-Control-Allow-Credentials');
      res.removeHeader('Access-Control-Expose-Headers');
      return next();
    }
    const allowedHeaders = cors.allowedHeaders.some(
      (name) => name.toLowerCase() === requestIdHeader.toLowerCase(),
    )
      ? cors.allowedHeaders
      : [...cors.allowedHeaders, requestIdHeader];
    res.setHeader('Access-Control-Allow-Methods', methods.join(', '));
    res.setHeader('Access-Control-Allow-Headers', allowedHeaders.join(', '));
    res.setHeader('Access-Control-Max-Age', String(cors.maxAgeSeconds));
    res.setHeader('Content-Length', '0');
    res.status(204).end();
  };
}
