/**
 * A queue between two stages that run at once: one side pushes values as it makes them,
 * the other iterates them in order, waiting while it is empty. close() ends the
 * iteration after what was pushed; fail() ends it with an error.
 */
export class AsyncChannel<T> implements AsyncIterable<T> {
  private readonly values: T[] = [];
  private ended = false;
  private error: { reason: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(value: T): void {
    if (this.ended) return;
    this.values.push(value);
    this.notify();
  }

  close(): void {
    this.ended = true;
    this.notify();
  }

  fail(reason: unknown): void {
    if (this.ended) return;
    this.error = { reason };
    this.ended = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, void> {
    for (;;) {
      const value = this.values.shift();
      if (value !== undefined) {
        yield value;
        continue;
      }
      if (this.error) throw this.error.reason;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
