import { describe, expect, it } from 'vitest';
import { AppWideRate } from '../../src/graph/tenantRate';
import { WriteRateLimiter } from '../../src/graph/writeRate';

/**
 * Limiters on one virtual clock: a sleep wakes when the clock reaches its time, and the clock jumps to
 * the next wake-up once everything awake has run, so concurrent waits overlap as they would in real time.
 */
function onVirtualClock() {
  let now = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock = {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((wake) => sleepers.push({ at: now + ms, wake })),
  };
  const app = new AppWideRate({ writesPerWindow: 200, windowMs: 1000, ...clock });
  const tenant = (writesPerWindow: number) => new WriteRateLimiter({ writesPerWindow, windowMs: 1000, ...clock });
  /** Runs `work` to its end, moving the clock from one wake-up to the next. */
  async function until(work: Promise<unknown>): Promise<void> {
    let done = false;
    void work.then(() => (done = true));
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) return;
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift();
      if (!next) continue;
      now = Math.max(now, next.at);
      next.wake();
    }
  }
  return { app, tenant, at: () => now, until };
}

describe("tenants' write rates under the app-wide one", () => {
  it("keeps each tenant under its own ceiling and all of them under the app's", async () => {
    const { app, tenant, at, until } = onVirtualClock();
    // Three tenants of 100 per second each would make 300; the app allows 200.
    const rates = ['a', 'b', 'c'].map((name) => app.forTenant(name, tenant(100)));
    const times: number[] = [];
    await until(
      Promise.all(
        rates.map(async (rate) => {
          for (let i = 0; i < 200; i++) {
            await rate.acquire();
            times.push(at());
          }
        }),
      ),
    );
    times.sort((x, y) => x - y);
    // 600 writes at 200 per second: about 3 s, and no second holds more than the app's 200.
    expect(times.at(-1)!).toBeGreaterThan(2_800);
    for (let i = 0; i + 200 < times.length; i++) expect(times[i + 200]! - times[i]!).toBeGreaterThanOrEqual(999);
  });

  it("keeps a tenant under its own ceiling while the app's has room, and gives the others what it leaves", async () => {
    const { app, tenant, at, until } = onVirtualClock();
    const slow = app.forTenant('slow', tenant(20));
    const fast = app.forTenant('fast', tenant(150));
    const times = { slow: [] as number[], fast: [] as number[] };
    await until(
      Promise.all(
        (['slow', 'fast'] as const).map(async (name) => {
          const rate = name === 'slow' ? slow : fast;
          for (let i = 0; i < 60; i++) {
            await rate.acquire();
            times[name].push(at());
          }
        }),
      ),
    );
    // The slow tenant: never more than 20 in any second. The fast one is not held to the slow one's pace.
    for (let i = 0; i + 20 < times.slow.length; i++)
      expect(times.slow[i + 20]! - times.slow[i]!).toBeGreaterThanOrEqual(999);
    expect(times.fast.at(-1)!).toBeLessThan(times.slow.at(-1)! / 2);
  });

  it("does not read a tenant's own storm, with one 429 elsewhere, as the app-wide ceiling", () => {
    let now = 0;
    const app = new AppWideRate({ writesPerWindow: 200, windowMs: 1000, now: () => now });
    const limiter = (n: number) => new WriteRateLimiter({ writesPerWindow: n, windowMs: 1000, now: () => now });
    const storm = app.forTenant('storm', limiter(100));
    const other = app.forTenant('other', limiter(100));
    const before = app.ratePerSecond;

    // The storming tenant is throttled again and again, well past its first window.
    for (; now < 3000; now += 10) storm.throttled();
    other.throttled();

    expect(app.ratePerSecond).toBe(before);
  });

  it("slows only the tenant a 429 concerns, not the app's budget", () => {
    const { app, tenant } = onVirtualClock();
    const own = tenant(100);
    const rate = app.forTenant('a', own);
    const before = app.ratePerSecond;

    rate.throttled();

    expect(own.ratePerSecond).toBeLessThan(100 / 2 + 1);
    expect(app.ratePerSecond).toBe(before);
  });

  it("slows the app's budget when two tenants are throttled at once: the app-wide ceiling was hit", () => {
    const { app, tenant } = onVirtualClock();
    const a = app.forTenant('a', tenant(100));
    const b = app.forTenant('b', tenant(100));
    const before = app.ratePerSecond;

    a.throttled();
    a.throttled();
    expect(app.ratePerSecond).toBe(before);
    b.throttled();

    expect(app.ratePerSecond).toBeLessThan(before / 2 + 1);
  });
});
