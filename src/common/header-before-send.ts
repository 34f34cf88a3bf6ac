import type { Response } from 'express';

const LATE_HEADERS = Symbol('speech-gateway:late-headers');

interface LateHeader {
  name: string;
  value: () => string | undefined;
}

type WithLateHeaders = Response & { [LATE_HEADERS]?: LateHeader[] };

/**
 * Sets a header at the last moment it can change: just before the status line and headers
 * are written (after the body is decided). `value` is read then; undefined sets nothing.
 * writeHead is the only hook that runs at that point, so it is patched, once per response
 * however many headers wait: the one registered last is set first, as when each patched
 * writeHead in turn.
 */
export function setHeaderBeforeSend(res: Response, name: string, value: () => string | undefined): void {
  const pending = (res as WithLateHeaders)[LATE_HEADERS];
  if (pending !== undefined) {
    pending.push({ name, value });
    return;
  }
  const late: LateHeader[] = [{ name, value }];
  (res as WithLateHeaders)[LATE_HEADERS] = late;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  (res as unknown as { writeHead: (...args: unknown[]) => Response }).writeHead = (...args: unknown[]) => {
    for (let i = late.length - 1; i >= 0; i--) {
      const current = late[i].value();
      if (current !== undefined && !res.headersSent) res.setHeader(late[i].name, current);
    }
    return writeHead(...args);
  };
}
