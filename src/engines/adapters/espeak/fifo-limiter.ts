/** Thrown by acquire() when the signal fires while waiting. */
export class LimiterAbortError extends Error {
  constructor() {
    super('aborted while waiting for a free slot');
    this.name = 'LimiterAbortError';
  }
}

/**
 * At most `limit` holders at once; waiters are served first come, first served. A waiter
 * whose signal fires leaves the line at once.
 */
export class FifoLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot is free. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new LimiterAbortError());
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        });
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new LimiterAbortError());
      };
      if (this.active < this.limit) {
        grant();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }
}
