import { abortReason } from '../common/abort-reason.js';

/**
 * `iterator.next()`, but settled early when the signal aborts: a source that ignores the
 * signal must not keep a cancelled request (and its ffmpeg slot) waiting.
 */
export async function nextOrAbort<T>(
  iterator: AsyncIterator<T>,
  signal?: AbortSignal,
): Promise<IteratorResult<T>> {
  if (!signal) return iterator.next();
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([iterator.next(), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Tells a source we stopped early (its finally blocks run, an engine stops synthesising).
 * Not awaited: a generator busy in a pending next() only returns once that settles.
 */
export function closeQuietly(iterator: AsyncIterator<unknown>): void {
  iterator.return?.().catch(() => undefined);
}
