/**
 * Work a lifecycle request started and did not wait for (Graph wants its answer within 3 s). The row
 * already records what is pending, so work lost with the instance is done by the next run; this only
 * lets a test, or a graceful shutdown, wait for what is still in flight.
 */
const inFlight = new Set<Promise<unknown>>();

export function keep(work: Promise<unknown>): void {
  const tracked = work.catch(() => undefined).finally(() => inFlight.delete(tracked));
  inFlight.add(tracked);
}

/** Resolves once every piece of work started so far has settled. */
export async function settled(): Promise<void> {
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}
