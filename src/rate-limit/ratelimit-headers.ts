import type { Response } from 'express';

/** One window's state as the IETF draft's fields carry it. */
export interface RateLimitWindow {
  name: string;
  /** Requests the window allows (q). */
  limit: number;
  /** Window length in seconds (w). */
  windowSeconds: number;
  /** Requests left in the current window (r). */
  remaining: number;
  /** Seconds until the window resets (t). */
  resetSeconds: number;
}

const WINDOWS = Symbol('speech-gateway:rate-limit-windows');
type WithWindows = Response & { [WINDOWS]?: Map<string, RateLimitWindow> };

/**
 * Records one window of the request's limits and (re)writes the IETF draft fields
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "minute";q=10;w=60, …` and
 * `RateLimit: "minute";r=9;t=42, …`, one list item per window the request was counted in.
 */
export function recordRateLimitWindow(res: Response, window: RateLimitWindow): void {
  const windows = ((res as WithWindows)[WINDOWS] ??= new Map<string, RateLimitWindow>());
  windows.set(window.name, window);
  // Longest window first, whatever order the windows were counted in.
  const all = [...windows.values()].sort((a, b) => b.windowSeconds - a.windowSeconds);
  res.setHeader(
    'RateLimit-Policy',
    all.map((w) => `"${w.name}";q=${w.limit};w=${w.windowSeconds}`).join(', '),
  );
  res.setHeader(
    'RateLimit',
    all.map((w) => `"${w.name}";r=${Math.max(0, w.remaining)};t=${Math.max(0, w.resetSeconds)}`).join(', '),
  );
}
