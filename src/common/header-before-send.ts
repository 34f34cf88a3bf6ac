import type { Response } from 'express';

/**
 * Sets a header at the last moment it can change: just before the status line and headers
 * are written (after the body is decided). `value` is read then; undefined sets nothing.
 * Patched per response, as writeHead is the only hook that runs at that point.
 */
export function setHeaderBeforeSend(res: Response, name: string, value: () => string | undefined): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  (res as unknown as { writeHead: (...args: unknown[]) => Response }).writeHead = (...args: unknown[]) => {
    const current = value();
    if (current !== undefined && !res.headersSent) res.setHeader(name, current);
    return writeHead(...args);
  };
}
