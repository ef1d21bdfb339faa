import { describe, expect, it } from 'vitest';
import { WriteRateLimiter } from '../../src/graph/writeRate';

/** A limiter on a clock that only moves when it sleeps: what it lets through is exact. */
function onVirtualClock(writesPerWindow = 100, windowMs = 1000) {
  let now = 0;
  const limiter = new WriteRateLimiter({
    writesPerWindow,
    windowMs,
    now: () => now,
    sleep: async (ms) => void (now += ms),
  });
  return { limiter, at: () => now, advance: (ms: number) => void (now += ms) };
}

async function sendTimes(limiter: WriteRateLimiter, at: () => number, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    await limiter.acquire();
    times.push(at());
  }
  return times;
}

describe('the client-side write rate', () => {
  it('never lets more than the ceiling through in any window, sliding', async () => {
    const { limiter, at } = onVirtualClock(100, 1000);
    const times = await sendTimes(limiter, at, 500);
    for (let i = 0; i + 100 < times.length; i++) expect(times[i + 100]! - times[i]!).toBeGreaterThanOrEqual(1000 - 1);
  });

  it('runs close to the ceiling: 500 writes at 100 per second take about 5 s', async () => {
    const { limiter, at } = onVirtualClock(100, 1000);
    const times = await sendTimes(limiter, at, 500);
    expect(times.at(-1)!).toBeGreaterThan(4_900);
    expect(times.at(-1)!).toBeLessThan(5_300);
  });

  it('halves the rate on a 429 and climbs back to the ceiling within a window', async () => {
    const { limiter, at, advance } = onVirtualClock(100, 1000);
    await sendTimes(limiter, at, 50);
    const full = limiter.ratePerSecond;
    limiter.throttled();
    expect(limiter.ratePerSecond).toBeCloseTo(full / 2, 5);
    advance(500);
    expect(limiter.ratePerSecond).toBeGreaterThan(full / 2);
    expect(limiter.ratePerSecond).toBeLessThan(full);
    advance(600);
    expect(limiter.ratePerSecond).toBeCloseTo(full, 5);
  });

  it('takes several 429s arriving together as one signal', () => {
    const { limiter } = onVirtualClock(100, 1000);
    const full = limiter.ratePerSecond;
    limiter.throttled();
    limiter.throttled();
    limiter.throttled();
    expect(limiter.ratePerSecond).toBeCloseTo(full / 2, 5);
  });

  it('slows down after a 429: the next second lets fewer through', async () => {
    const { limiter, at } = onVirtualClock(100, 1000);
    await sendTimes(limiter, at, 100);
    const start = at();
    limiter.throttled();
    const times = await sendTimes(limiter, at, 60);
    const inFirstSecond = times.filter((t) => t < start + 1000).length;
    expect(inFirstSecond).toBeLessThan(95 * 0.8);
  });
});
