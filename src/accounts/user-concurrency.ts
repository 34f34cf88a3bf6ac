import { AppError } from '../common/app-error.js';

/**
 * Requests each user has in flight on this node, so one tenant cannot take every engine
 * slot (plan.max_concurrent_requests). Per node: with N nodes a user may have N × the limit.
 */
export class UserConcurrency {
  private readonly inFlight = new Map<number, number>();

  /** Takes a slot or throws CONCURRENCY_LIMITED; the returned function gives it back (once). */
  acquire(userId: number, limit: number): () => void {
    const current = this.inFlight.get(userId) ?? 0;
    if (current >= limit) {
      throw new AppError(
        'CONCURRENCY_LIMITED',
        `At most ${limit} requests of this account may run at once; try again when one finishes.`,
        { max_concurrent_requests: limit },
        { 'Retry-After': '1' },
      );
    }
    this.inFlight.set(userId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(userId) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(userId);
      else this.inFlight.set(userId, left);
    };
  }

  count(userId: number): number {
    return this.inFlight.get(userId) ?? 0;
  }
}
