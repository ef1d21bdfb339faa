import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { HOUR, MINUTE, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// Days of emulator time: only Date is faked; sockets and timers stay real, so Azurite, the Graph
// emulator and the identity endpoint all run as usual, on a clock the test moves.
const harness = useHarness();
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

const DAY = 24 * HOUR;

/** 09:00 in Paris on `day` (February: UTC+1), plus `late`. */
const parisNine = (day: string, late = 500) => new Date(new Date(`${day}T08:00:00Z`).getTime() + late);

interface Check {
  at: Date;
  isPastDue: boolean;
}

/** Runs the real timer handler at each check, asserting before each that the subscription is still alive. */
async function driveChecks(id: string, checks: Check[]) {
  for (const check of checks) {
    vi.setSystemTime(check.at);
    const alive = harness.graph.subscriptions.get(id)!.expirationDateTime;
    expect(alive.getTime(), `alive at ${check.at.toISOString()}`).toBeGreaterThan(check.at.getTime());
    await renewSubscriptions(harness.timer(check.isPastDue), harness.context('renewSubscriptions'));
  }
}

function dailyChecks(from: string, days: number): Check[] {
  const start = parisNine(from).getTime();
  return Array.from({ length: days }, (_, i) => ({ at: new Date(start + i * DAY), isPastDue: false }));
}

/** Every PATCH the emulator accepted asked for at most `maxMinutes` from its own clock. */
function expectWithinMaximum(id: string, maxMinutes: number) {
  for (const patch of harness.graph.patches(id)) {
    const asked = Date.parse((patch.body as { expirationDateTime: string }).expirationDateTime);
    expect(asked - patch.at.getTime()).toBeLessThanOrEqual(maxMinutes * MINUTE);
  }
}

describe("the seed's workflow, driven through the timer for days of emulator time", () => {
  it('keeps the subscription created on 14/02 at 15:00 alive through twelve daily checks', async () => {
    const created = new Date('2026-02-14T14:00:00Z'); // 15:00 in Paris
    vi.setSystemTime(created);
    // Created for 4,230 minutes, as Outlook allowed until Graph raised it to 10,080.
    const id = await storeSubscription(harness, { expiresAt: new Date(created.getTime() + 4230 * MINUTE) });

    await driveChecks(id, dailyChecks('2026-02-15', 12));

    vi.setSystemTime(parisNine('2026-02-27', -1000));
    expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(Date.now() + DAY);
    // Renewed for RENEWAL_LIFETIME_HOURS (72 h), within Outlook's 10,080 minutes; 72 h left after a renewal is
    // 48 h at the next check, less than one day plus the 36 h margin: it is renewed at every check.
    expectWithinMaximum(id, 72 * 60);
    expect(harness.graph.patches(id)).toHaveLength(12);
    const runs = await harness.runs();
    expect(runs).toHaveLength(12);
    expect(runs.every((run) => run.outcome === 'succeeded' && run.failed === 0)).toBe(true);
  });

  it('keeps it alive across the spring clock change, when 09:00 in Paris moves to 07:00 UTC', async () => {
    const created = new Date('2027-03-23T14:00:00Z');
    vi.setSystemTime(created);
    const id = await storeSubscription(harness, { expiresAt: new Date(created.getTime() + 4230 * MINUTE) });
    const checks = Array.from({ length: 10 }, (_, i) => {
      const day = new Date(Date.UTC(2027, 2, 24 + i));
      const summer = day >= new Date('2027-03-28T00:00:00Z');
      return { at: new Date(day.getTime() + (summer ? 7 : 8) * HOUR + 500), isPastDue: false };
    });

    await driveChecks(id, checks);

    expectWithinMaximum(id, 72 * 60);
    expect((await harness.runs()).every((run) => run.outcome === 'succeeded')).toBe(true);
  });
});

describe('the 09:00:02 edge, with the third check running six hours late', () => {
  // The seed renewed at 09:00:02 to +72 h (a Teams chat allows 4,320 minutes). Two checks later it has
  // 24 h + 2 s left, so the seed's "within 24 h" skips it; the third check has two seconds, and since
  // that check runs late here, under the seed's rule the subscription would be gone by then.
  const renewedBySeed = new Date(parisNine('2026-02-15', 2000));
  const expiresAt = new Date(renewedBySeed.getTime() + 72 * HOUR);
  const checks: Check[] = dailyChecks('2026-02-16', 10).map((check, i) =>
    i === 2 ? { at: new Date(check.at.getTime() + 6 * HOUR), isPastDue: true } : check,
  );

  it('keeps it alive under our policy', async () => {
    vi.setSystemTime(renewedBySeed);
    const id = await storeSubscription(harness, { resource: 'chats/getAllMessages', expiresAt });

    await driveChecks(id, checks);

    expectWithinMaximum(id, 4320);
    const runs = await harness.runs();
    expect(runs.filter((run) => run.isPastDue)).toHaveLength(1);
    expect(runs.every((run) => run.outcome === 'succeeded')).toBe(true);
  });
});
