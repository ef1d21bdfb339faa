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
  await forEachWithinLimits(items, { limit, perKey: limit, keyOf: () => undefined }, work, stop);
}

export interface Limits<T> {
  /** Calls in flight at once, in all. */
  limit: number;
  /** Calls in flight at once for items of the same key. */
  perKey: number;
  /** The item's key (its mailbox); undefined: no per-key limit. */
  keyOf: (item: T) => string | undefined;
}

/**
 * Like forEachConcurrently, and also at most `perKey` calls in flight per key (Outlook's 4 concurrent
 * requests per mailbox). Items keep their order within a key; a free lane takes the first item whose
 * key has room, so one busy mailbox never holds up the others. Returns how many calls started.
 */
export async function forEachWithinLimits<T>(
  items: readonly T[],
  limits: Limits<T>,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<number> {
  const waiting = new Map<string | symbol, T[]>();
  for (const item of items) {
    const key = limits.keyOf(item) ?? Symbol('no key');
    const queue = waiting.get(key);
    if (queue) queue.push(item);
    else waiting.set(key, [item]);
  }
  const inFlight = new Map<string | symbol, number>();
  // Keys with waiting items and room, in the order they became ready.
  const ready: (string | symbol)[] = [...waiting.keys()];
  const isReady = new Set(ready);
  let running = 0;
  let started = 0;

  return new Promise<number>((resolve, reject) => {
    const startMore = () => {
      while (running < limits.limit && ready.length > 0 && !stop()) {
        const key = ready.shift()!;
        isReady.delete(key);
        const queue = waiting.get(key)!;
        const item = queue.shift()!;
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        markIfReady(key);
        running++;
        started++;
        work(item).then(() => {
          running--;
          inFlight.set(key, inFlight.get(key)! - 1);
          markIfReady(key);
          startMore();
        }, reject);
      }
      if (running === 0) resolve(started);
    };
    const markIfReady = (key: string | symbol) => {
      if (isReady.has(key) || waiting.get(key)!.length === 0 || inFlight.get(key)! >= limits.perKey) return;
      ready.push(key);
      isReady.add(key);
    };
    startMore();
  });
}
