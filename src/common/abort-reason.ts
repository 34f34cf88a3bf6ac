/**
 * Why the signal aborted, as an Error for rejecting promises: the reason itself when it is
 * one (AbortController.abort() makes a DOMException AbortError), else an AbortError
 * that carries it.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('The operation was aborted.', { cause: reason }), { name: 'AbortError' });
}
