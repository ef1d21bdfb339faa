import { describe, expect, it } from 'vitest';
import { AppWideRate } from '../../src/graph/tenantRate';
import { WriteRateLimiter } from '../../src/graph/writeRate';

/** Limiters on one clock that only moves when they sleep: what they let through is exact. */
function onVirtualClock() {
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
  const app = new AppWideRate({ writesPerWindow: 200, windowMs: 1000, ...clock });
  const tenant = (writesPerWindow: number) => new WriteRateLimiter({ writesPerWindow, windowMs: 1000, ...clock });
  return { app, tenant, at: () => now };
}

describe("tenants' write rates under the app-wide one", () => {
  it("keeps each tenant under its own ceiling and all of them under the app's", async () => {
    const { app, tenant, at } = onVirtualClock();
    // Three tenants of 100 per second each would make 300; the app allows 200.
    const rates = ['a', 'b', 'c'].map((name) => app.forTenant(name, tenant(100)));
    const times: number[] = [];
    await Promise.all(
      rates.map(async (rate) => {
        for (let i = 0; i < 200; i++) {
          await rate.acquire();
          times.push(at());
        }
      }),
    );
    times.sort((x, y) => x - y);
    // 600 writes at 200 per second: about 3 s, and no second holds more than the app's 200.
    expect(times.at(-1)!).toBeGreaterThan(2_800);
    for (let i = 0; i + 200 < times.length; i++) expect(times[i + 200]! - times[i]!).toBeGreaterThanOrEqual(999);
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
