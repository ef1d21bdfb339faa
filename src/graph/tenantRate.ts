import { performance } from 'node:perf_hooks';
import { WriteRateLimiter, type WriteRateOptions } from './writeRate';

type Rate = Pick<WriteRateLimiter, 'acquire' | 'throttled'>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Graph's ceiling per app across every tenant (2,000 writes per 20 s; 40 lists), shared by the
 * tenants' own limiters (500 per 20 s each: learn.microsoft.com/graph/throttling-limits). Graph's 429
 * does not say which ceiling was hit: one tenant throttled alone is its own ceiling (or other apps'
 * writes in that tenant), and slows only that tenant; two or more tenants throttled within a
 * twentieth of a window point at the app-wide one, which then slows everyone.
 */
export class AppWideRate {
  private readonly limiter: WriteRateLimiter;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** When each tenant was last throttled, and when it was last throttled after a quiet window (monotonic ms). */
  private readonly lastThrottled = new Map<string, number>();
  private readonly freshSignals = new Map<string, number>();

  constructor(options: WriteRateOptions) {
    this.limiter = new WriteRateLimiter(options);
    this.windowMs = options.windowMs;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The current app-wide rate, in writes per second (for the bench). */
  get ratePerSecond(): number {
    return this.limiter.ratePerSecond;
  }

  /**
   * A tenant's limiter under this one. A write takes a token from both at the same instant, when both
   * have one: a token taken from one and held while waiting for the other would go out later than
   * taken, bunched with others, and break that limiter's window (a tenant held back by the app-wide
   * ceiling would burst past its own once the others finish). The tenant's writes go in turn.
   */
  forTenant(tenant: string, own: WriteRateLimiter): Rate {
    let queue: Promise<void> = Promise.resolve();
    const takeBoth = async () => {
      for (let wait = this.waitBoth(own); wait > 0; wait = this.waitBoth(own)) await this.sleep(wait);
      own.takeNow();
      this.limiter.takeNow();
    };
    return {
      acquire: () => {
        const turn = queue.then(takeBoth);
        queue = turn.catch(() => undefined);
        return turn;
      },
      throttled: () => {
        own.throttled();
        this.throttledIn(tenant);
      },
    };
  }

  private waitBoth(own: WriteRateLimiter): number {
    return Math.max(own.waitMs(), this.limiter.waitMs());
  }

  /**
   * A tenant's 429 is a fresh signal when it had none in the window before: one in a storm of its own
   * (answered 429 to everything) is its own limit, already halving its own rate, and must not make
   * every other tenant's first 429 look like the app-wide ceiling.
   */
  private throttledIn(tenant: string): void {
    const at = this.now();
    const previous = this.lastThrottled.get(tenant);
    this.lastThrottled.set(tenant, at);
    if (previous === undefined || at - previous > this.windowMs) this.freshSignals.set(tenant, at);
    let recent = 0;
    for (const [other, when] of this.freshSignals) {
      if (at - when <= this.windowMs / 20) recent++;
      else this.freshSignals.delete(other);
    }
    if (recent >= 2) this.limiter.throttled();
  }
}
