import { CredentialError, GraphRequestError } from '../renewal/errors';
import { toGraphRequestError } from './errors';
import type { ThrottleGate } from './throttle';
import type { WriteRateLimiter } from './writeRate';

/** Throttling, transient server errors and no answer at all: worth another try. */
const RETRYABLE = new Set([0, 429, 500, 502, 503, 504]);

/** Graph asking us to wait longer than this is treated as a failure for this run, not a reason to stall it. */
export const MAX_RETRY_AFTER_MS = 120_000;

export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  /** Shared with the other requests of the run: a 429 holds them all. */
  gate?: ThrottleGate;
  /** Shared by every write of this process: each attempt takes a token; a 429 slows it down. */
  writeRate?: Pick<WriteRateLimiter, 'acquire' | 'throttled'>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Which failures are worth another try; default: throttling, 5xx and no answer. */
  retryable?: (error: GraphRequestError) => boolean;
  /**
   * No attempt starts, and no wait ends, after this (ms since the epoch): the row's lease ends soon
   * after, and past it another worker may take the row. The last error is thrown instead.
   */
  deadline?: number;
}

/**
 * How long to wait after failed attempt `attempt` (1-based): Graph's Retry-After when it sent one
 * (seconds or HTTP date, graph/throttling), otherwise exponential backoff from `baseDelayMs`.
 */
export function retryDelayMs(attempt: number, retryAfter: string | undefined, baseDelayMs: number, now: Date): number {
  if (retryAfter !== undefined && retryAfter.trim() !== '') {
    const value = retryAfter.trim();
    if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now.getTime());
  }
  return baseDelayMs * 2 ** (attempt - 1);
}

export function isRetryable(error: GraphRequestError): boolean {
  return RETRYABLE.has(error.statusCode);
}

function outOfTime(): GraphRequestError {
  return new GraphRequestError(
    0,
    'Timeout',
    "No time was left to call Graph before the row's lease ends; the next run tries again.",
  );
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Throttled answers one request may get before it fails, per configured attempt: a 429 is Graph
 * saying when to come back (the request was not processed), so it does not use up an attempt; this
 * bounds a storm of them (even with Retry-After: 0).
 */
export const THROTTLES_PER_ATTEMPT = 5;

/**
 * Runs `request` until it succeeds, fails for good, or runs out of attempts or time; throws a
 * GraphRequestError. 429s do not count as attempts; their waits together stay within `maxAttempts`
 * times the longest Retry-After taken. Whatever the count, nothing starts or waits past `deadline`.
 */
export async function withRetry<T>(request: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? (() => new Date());
  let throttles = 0;
  let throttledMs = 0;
  let last: GraphRequestError | undefined;
  const pastDeadline = (waitMs = 0) => options.deadline !== undefined && now().getTime() + waitMs >= options.deadline;
  for (let attempt = 1; ;) {
    await options.gate?.pass();
    await options.writeRate?.acquire();
    // The gate and the write rate may have held this request past the deadline.
    if (pastDeadline()) throw last ?? outOfTime();
    try {
      return await request();
    } catch (thrown) {
      if (thrown instanceof CredentialError) throw thrown;
      const error = toGraphRequestError(thrown);
      last = error;
      const throttled = error.statusCode === 429;
      if (throttled) options.writeRate?.throttled();
      if (!(options.retryable ?? isRetryable)(error)) throw error;
      if (throttled) {
        // Retry-After: 0 (or a date already past) still waits the base delay: no burst of requests.
        const delay = Math.max(
          retryDelayMs(throttles + 1, error.retryAfter, options.baseDelayMs, now()),
          options.baseDelayMs,
        );
        throttles++;
        throttledMs += delay;
        if (
          delay > MAX_RETRY_AFTER_MS ||
          throttledMs > options.maxAttempts * MAX_RETRY_AFTER_MS ||
          throttles > options.maxAttempts * THROTTLES_PER_ATTEMPT ||
          pastDeadline(delay)
        ) {
          throw error;
        }
        if (options.gate) options.gate.hold(delay);
        else await sleep(delay);
        continue;
      }
      if (attempt >= options.maxAttempts) throw error;
      const delay = retryDelayMs(attempt, error.retryAfter, options.baseDelayMs, now());
      if (delay > MAX_RETRY_AFTER_MS || pastDeadline(delay)) throw error;
      await sleep(delay);
      attempt++;
    }
  }
}
