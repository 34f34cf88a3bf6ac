import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/**
 * express.json, skipped for a request that carries no body at all (neither
 * Content-Length nor Transfer-Encoding: most GETs, every probe). body-parser would skip
 * it too, but only after checking the request's state, media type and charset; this
 * test is the same one it ends with (type-is's hasBody), made first.
 */
export function jsonBodyMiddleware(limitKb: number): RequestHandler {
  const parseJson = express.json({ limit: `${limitKb}kb` });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.headers['transfer-encoding'] === undefined && req.headers['content-length'] === undefined) {
      next();
      return;
    }
    parseJson(req, res, next);
  };
}
