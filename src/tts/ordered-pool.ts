/**
 * Runs `work` over `items` with at most `concurrency` at once and yields results in input
 * order as soon as each one (and all before it) is done. Stops starting new work when the
 * consumer stops iterating or the signal aborts.
 */
export async function* mapInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R> {
  const pending = new Map<number, Promise<R>>();
  let next = 0;
  const startMore = () => {
    while (next < items.length && pending.size < concurrency && !signal?.aborted) {
      const index = next++;
      const promise = work(items[index], index);
      // Rejections are observed when awaited below; this keeps Node from flagging them early.
      promise.catch(() => undefined);
      pending.set(index, promise);
    }
  };
  try {
    for (let index = 0; index < items.length; index++) {
      startMore();
      const promise = pending.get(index);
      if (!promise) break;
      const result = await promise;
      pending.delete(index);
      yield result;
    }
  } finally {
    pending.clear();
  }
}
