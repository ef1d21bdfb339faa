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

/**
 * Requests of this instance still recording their events. The Graph work a request starts waits for
 * them (a bounded while), so in a burst of notifications every event is on its row and answered
 * within Graph's limit first, and the renewals and recreations they call for come after.
 */
let recording = 0;
let quiet: { promise: Promise<void>; resolve: () => void } | undefined;

export function recordingStarted(): void {
  recording++;
}

export function recordingEnded(): void {
  recording = Math.max(0, recording - 1);
  if (recording === 0 && quiet) {
    quiet.resolve();
    quiet = undefined;
  }
}

/** Resolves once no request is recording, or after `maxMs`. */
export function whenRecorded(maxMs: number): Promise<void> {
  if (recording === 0) return Promise.resolve();
  if (!quiet) {
    let resolve!: () => void;
    const promise = new Promise<void>((done) => (resolve = done));
    quiet = { promise, resolve };
  }
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([quiet.promise, new Promise<void>((done) => (timer = setTimeout(done, maxMs)))]).finally(() =>
    clearTimeout(timer),
  );
}
