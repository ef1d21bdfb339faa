import { performance } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One gate for every request of a run: when Graph answers 429 with Retry-After, no request goes out
 * until that time has passed, instead of the other lanes hammering on (graph/throttling: keep sending
 * and the throttling lasts longer). Uses the monotonic clock, which wall-clock changes do not move.
 */
export class ThrottleGate {
  private openAt = 0;

  /** Resolves once Graph's last "wait" has passed. */
  async pass(): Promise<void> {
    for (let wait = this.openAt - performance.now(); wait > 0; wait = this.openAt - performance.now()) {
      await sleep(wait);
    }
  }

  /** Closes the gate for `ms` from now (never shortens an earlier close). */
  hold(ms: number): void {
    this.openAt = Math.max(this.openAt, performance.now() + ms);
  }
}
