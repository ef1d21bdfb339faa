import { performance } from 'node:perf_hooks';
import { WriteRateLimiter, type WriteRateOptions } from './writeRate';

type Rate = Pick<WriteRateLimiter, 'acquire' | 'throttled'>;

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
  /** When each tenant was last throttled (monotonic ms). */
  private readonly lastThrottled = new Map<string, number>();

  constructor(options: WriteRateOptions) {
    this.limiter = new WriteRateLimiter(options);
    this.windowMs = options.windowMs;
    this.now = options.now ?? (() => performance.now());
  }

  /** The current app-wide rate, in writes per second (for the bench). */
  get ratePerSecond(): number {
    return this.limiter.ratePerSecond;
  }

  /** A tenant's limiter under this one: a write waits for its tenant's turn, then for the app's. */
  forTenant(tenant: string, own: Rate): Rate {
    return {
      acquire: async () => {
        // The tenant's turn first: a tenant held back by its own ceiling holds no place in the app's queue.
        await own.acquire();
        await this.limiter.acquire();
      },
      throttled: () => {
        own.throttled();
        this.throttledIn(tenant);
      },
    };
  }

  private throttledIn(tenant: string): void {
    const at = this.now();
    this.lastThrottled.set(tenant, at);
    let recent = 0;
    for (const [other, when] of this.lastThrottled) {
      if (at - when <= this.windowMs / 20) recent++;
      else this.lastThrottled.delete(other);
    }
    if (recent >= 2) this.limiter.throttled();
  }
}
