import { abortReason } from './abort-reason.js';

interface Waiter {
  grant: () => void;
}

/**
 * A counting semaphore with a FIFO queue: at most `max` holders at once (ffmpeg
 * processes, espeak-ng programs), so a burst queues instead of forking one process each,
 * which on a small machine would make every request slow at once. A waiter whose request
 * is cancelled leaves the queue and is rejected with the signal's reason.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`the limit must be a positive integer, not ${max}`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function (safe to call more than once) when a slot is free. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.running < this.max) {
      this.running++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        if (signal) reject(abortReason(signal));
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` does not change.
      if (next) next.grant();
      else this.running--;
    };
  }
}
