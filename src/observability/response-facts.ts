import type { Request } from 'express';

/** res.locals key the exception filter fills so analytics can store the error code without parsing bodies. */
export const ERROR_CODE_LOCAL = 'errorCode';

/** Express's matched route pattern, if any (never the raw URL, which may carry ids). */
export function routePatternOf(req: Request): string | undefined {
  // Express types `req.route` as any; read it as unknown and check the shape.
  const route: unknown = (req as { route?: unknown }).route;
  if (typeof route !== 'object' || route === null) return undefined;
  const path: unknown = (route as { path?: unknown }).path;
  return typeof path === 'string' ? path : undefined;
}
