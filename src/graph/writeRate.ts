import { performance } from 'node:perf_hooks';

export interface WriteRateOptions {
  /** Graph's ceiling: subscription writes per window per app per tenant (1,000 per 20 s). */
  writesPerWindow: number;
  windowMs: number;
  /** Share of the ceiling sent as a burst; the steady rate is lowered by as much, so no window of `windowMs` ever holds more than the ceiling. */
  burstShare?: number;
  /** Monotonic clock in ms and a sleep, for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket for subscription writes that keeps a run under Graph's documented ceiling and
 * adapts when Graph throttles anyway (other instances of this app, other apps' writes in the
 * tenant): each 429 halves the rate, which then climbs back linearly to the ceiling over one window
 * (additive increase, multiplicative decrease, so that many senders sharing one limit converge).
 *
 * The bucket holds at most `burst` tokens and refills at (ceiling - burst) / window: any window of
 * `windowMs` then sees at most burst + (ceiling - burst) = ceiling writes, even a sliding one.
 */
export class WriteRateLimiter {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly burst: number;
  private readonly windowMs: number;
  /** Tokens per ms at full speed. */
  private readonly maxRate: number;
  private tokens: number;
  private updatedAt: number;
  /** Rate right after the last 429, and when that was; the rate climbs back from there. */
  private reducedRate: number;
  private reducedAt = -Infinity;
  /** Callers waiting for a token, served in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(options: WriteRateOptions) {
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.windowMs = options.windowMs;
    this.burst = Math.max(1, Math.floor(options.writesPerWindow * (options.burstShare ?? 0.05)));
    this.maxRate = (options.writesPerWindow - this.burst) / options.windowMs;
    this.tokens = this.burst;
    this.updatedAt = this.now();
    this.reducedRate = this.maxRate;
  }

  /** The current rate, in writes per second (for logs and the bench). */
  get ratePerSecond(): number {
    return this.rateAt(this.now()) * 1000;
  }

  /** Resolves when one write may go out; callers are served first come, first served. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.take());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Graph answered 429: halve the rate (not below one write per window) and empty the bucket. The
   * requests already in flight often come back 429 together: that is one signal, not several, so a
   * second halving waits a twentieth of a window.
   */
  throttled(): void {
    const at = this.now();
    if (at - this.reducedAt < this.windowMs / 20) return;
    this.refill(at);
    this.reducedRate = Math.max(this.rateAt(at) / 2, 1 / this.windowMs);
    this.reducedAt = at;
    this.tokens = Math.min(this.tokens, 0);
  }

  /**
   * How long until a write could go out (0: now), without taking anything: with `takeNow`, what lets
   * a write take a token from two limiters at the same instant (src/graph/tenantRate.ts).
   */
  waitMs(): number {
    const at = this.now();
    this.refill(at);
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.rateAt(at)));
  }

  /**
   * Takes the token `waitMs` said is there. It passes by `acquire`'s queue: a limiter is used one way
   * or the other, never both (a tenant's under the app-wide one is only ever taken this way).
   */
  takeNow(): void {
    this.refill(this.now());
    this.tokens -= 1;
  }

  private async take(): Promise<void> {
    for (;;) {
      const at = this.now();
      this.refill(at);
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.max(1, Math.ceil((1 - this.tokens) / this.rateAt(at))));
    }
  }

  private refill(at: number): void {
    const elapsed = at - this.updatedAt;
    if (elapsed <= 0) return;
    // The rate changes little within one refill; the midpoint keeps the sum close.
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rateAt(at - elapsed / 2));
    this.updatedAt = at;
  }

  /** The additive increase: half the ceiling per window, so one halving is made good in one window. */
  private rateAt(at: number): number {
    const climbed = this.reducedRate + ((at - this.reducedAt) / this.windowMs) * (this.maxRate / 2);
    return Math.min(this.maxRate, climbed);
  }
}
