import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, retryDelayMs, withRetry } from '../../src/graph/retry';
import { GraphRequestError } from '../../src/renewal/errors';

const now = new Date('2026-02-15T08:00:00Z');

describe('how long to wait before retrying', () => {
  it("honours Graph's Retry-After in seconds", () => {
    expect(retryDelayMs(1, '7', 1000, now)).toBe(7000);
  });

  it("honours Graph's Retry-After as an HTTP date", () => {
    expect(retryDelayMs(1, 'Sun, 15 Feb 2026 08:00:30 GMT', 1000, now)).toBe(30_000);
  });

  it('backs off exponentially without Retry-After', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, undefined, 1000, now))).toEqual([1000, 2000, 4000]);
  });
});

describe('retrying a Graph request', () => {
  const fail = (status: number, retryAfter?: string) => new GraphRequestError(status, 'X', 'failed', retryAfter);

  async function attempts(errors: GraphRequestError[], maxAttempts = 4, deadlineInMs?: number) {
    const waits: number[] = [];
    let calls = 0;
    // The clock moves only by the waits.
    let clock = now.getTime();
    const outcome = await withRetry(
      async () => {
        const error = errors[calls++];
        if (error) throw error;
        return 'ok';
      },
      {
        maxAttempts,
        baseDelayMs: 100,
        sleep: async (ms) => {
          waits.push(ms);
          clock += ms;
        },
        now: () => new Date(clock),
        ...(deadlineInMs === undefined ? {} : { deadline: now.getTime() + deadlineInMs }),
      },
    ).catch((error: GraphRequestError) => error);
    return { outcome, calls, waits };
  }

  it('retries a 429 after Retry-After, then succeeds', async () => {
    expect(await attempts([fail(429, '2')])).toEqual({ outcome: 'ok', calls: 2, waits: [2000] });
  });

  it.each([500, 502, 503, 504, 0])('retries a transient %i', async (status) => {
    expect((await attempts([fail(status)])).outcome).toBe('ok');
  });

  it.each([400, 401, 403, 404])('does not retry a %i', async (status) => {
    const { outcome, calls } = await attempts([fail(status)]);
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ statusCode: status });
  });

  it('gives up after the configured number of attempts', async () => {
    const { outcome, calls, waits } = await attempts([fail(503), fail(503), fail(503)], 3);
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 200]);
    expect(outcome).toMatchObject({ statusCode: 503 });
  });

  it('keeps waiting through more 429s than attempts: Graph did not process them', async () => {
    const { outcome, calls } = await attempts(
      Array.from({ length: 6 }, () => fail(429, '1')),
      3,
    );
    expect(outcome).toBe('ok');
    expect(calls).toBe(7);
  });

  it('ends a storm of 429s after five per attempt, even with Retry-After: 0', async () => {
    const { outcome, calls } = await attempts(
      Array.from({ length: 100 }, () => fail(429, '0')),
      3,
    );
    expect(outcome).toMatchObject({ statusCode: 429 });
    expect(calls).toBe(16);
  });

  it('ends a storm of 429s once their waits pass what the lease allows for', async () => {
    const { outcome, waits } = await attempts(
      Array.from({ length: 10 }, () => fail(429, String(MAX_RETRY_AFTER_MS / 1000))),
      2,
    );
    expect(outcome).toMatchObject({ statusCode: 429 });
    expect(waits).toEqual([MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS]);
  });

  it('waits at least the base delay after a 429 with Retry-After: 0', async () => {
    expect(await attempts([fail(429, '0'), fail(429, '0')])).toEqual({ outcome: 'ok', calls: 3, waits: [100, 100] });
  });

  it("stops at the deadline (the end of the row's lease) with the last error, whatever attempts are left", async () => {
    const { outcome, calls, waits } = await attempts([fail(429, '60'), fail(429, '60'), fail(429, '60')], 4, 150_000);
    expect(outcome).toMatchObject({ statusCode: 429 });
    expect(calls).toBe(3);
    expect(waits).toEqual([60_000, 60_000]);
  });

  it('does not start a backoff that would end past the deadline', async () => {
    const { outcome, calls } = await attempts([fail(503), fail(503), fail(503)], 10, 250);
    expect(outcome).toMatchObject({ statusCode: 503 });
    expect(calls).toBe(2);
  });

  it('fails rather than stall a run when Graph asks to wait too long', async () => {
    const { calls, outcome } = await attempts([fail(429, String(MAX_RETRY_AFTER_MS / 1000 + 1))]);
    expect(calls).toBe(1);
    expect(outcome).toMatchObject({ statusCode: 429 });
  });
});
