/** What take() settles with: a value pushed, or the end with the work's result. */
export type ChannelItem<TValue, TResult> = { done: false; value: TValue } | { done: true; value: TResult };

/**
 * Hands values from work that pushes them (a streamed engine call running inside its
 * resilience policy) to a consumer that pulls them (an async generator), in order. Unbounded:
 * it carries text deltas, which are small, and the producer must never wait on a slow
 * consumer (its silence would count against the engine's idle timeout).
 */
export class DeltaChannel<TValue, TResult> {
  private readonly queue: Array<ChannelItem<TValue, TResult>> = [];
  private failure: { error: unknown } | undefined;
  private waiter: { resolve: () => void } | undefined;

  push(value: TValue): void {
    this.queue.push({ done: false, value });
    this.wake();
  }

  end(result: TResult): void {
    this.queue.push({ done: true, value: result });
    this.wake();
  }

  fail(error: unknown): void {
    this.failure = { error };
    this.wake();
  }

  /** The next value, or the end; rejects with the work's error once the values before it are taken. */
  async take(): Promise<ChannelItem<TValue, TResult>> {
    for (;;) {
      const next = this.queue.shift();
      if (next) return next;
      if (this.failure) throw this.failure.error;
      await new Promise<void>((resolve) => {
        this.waiter = { resolve };
      });
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve();
  }
}
