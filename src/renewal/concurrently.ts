/**
 * Calls `work` on every item with at most `limit` calls in flight; resolves when all have settled.
 * `work` must not throw (each call handles its own failure), so one item never stops the others.
 * `stop` is checked before each start, to end early without abandoning calls already running.
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && !stop()) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
