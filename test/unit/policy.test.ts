import { describe, expect, it } from 'vitest';
import {
  graphDeadline,
  isDue,
  keepAliveProblem,
  matchesDefinition,
  renewalTarget,
  SAFETY_MARGIN_MINUTES,
  statedMaximumMinutes,
  targetWithinStatedMaximum,
  workFor,
} from '../../src/renewal/policy';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);
const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

/** The seed's rule, for comparison: renew what expires within 24 h of now. */
const seedIsDue = (expiration: Date, now: Date) => expiration.getTime() - now.getTime() < 24 * HOUR;

describe('which subscriptions are due', () => {
  const now = at('2026-02-15T08:00:00Z');
  const nextRun = at('2026-02-16T08:00:00Z');

  it('is due when it would expire before the next run plus the margin', () => {
    expect(isDue(plus(nextRun, 35 * HOUR), nextRun, 36)).toBe(true);
  });

  it('is not due when it outlives the next run plus the margin', () => {
    expect(isDue(plus(nextRun, 36 * HOUR), nextRun, 36)).toBe(false);
  });

  it('renews a subscription the seed would skip at 09:00 with 24 h and 2 s left', () => {
    // Renewed at 09:00:02 to +72 h by the seed; two daily checks later it has 24 h + 2 s left.
    const expiration = plus(now, 24 * HOUR + 2000);
    expect(seedIsDue(expiration, now)).toBe(false);
    expect(isDue(expiration, nextRun, 36)).toBe(true);
  });

  it('leaves every subscription that first becomes due a later check with 12 h to spare', () => {
    // Daily runs R0, R1, R2; a run evaluates isDue against the run after it.
    const r0 = at('2026-02-15T08:00:00Z');
    const r1 = plus(r0, DAY);
    const r2 = plus(r1, DAY);
    let firstDueAtR1 = 0;
    for (let t = r0.getTime(); t < r0.getTime() + 4 * DAY; t += 10 * MINUTE) {
      const expiration = new Date(t);
      const dueAtR0 = isDue(expiration, r1, 36);
      const dueAtR1 = isDue(expiration, r2, 36);
      if (dueAtR0 || !dueAtR1) continue;
      firstDueAtR1++;
      // If R1's renewal fails, R2 still comes before the expiration, with 12 h to spare.
      expect(expiration.getTime() - r2.getTime(), expiration.toISOString()).toBeGreaterThanOrEqual(12 * HOUR);
    }
    expect(firstDueAtR1).toBe((24 * 60) / 10);
  });
});

describe('the expiration asked of Graph', () => {
  const now = at('2026-02-15T08:00:00Z');

  it("caps an Outlook subscription below Graph's 4,230 minutes instead of the seed's +3 days", () => {
    const target = renewalTarget("users/abc/mailFolders('Inbox')/messages", now, 72);
    expect(target.capped).toBe(true);
    expect(target.expiration).toEqual(plus(now, (4230 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it('gives the wanted lifetime when Graph allows more', () => {
    const target = renewalTarget('users', now, 72);
    expect(target.capped).toBe(false);
    expect(target.expiration).toEqual(plus(now, 72 * HOUR));
  });

  it('assumes the most conservative maximum for a resource it does not know', () => {
    const target = renewalTarget('someNewWorkload/things', now, 72);
    expect(target.lifetime.known).toBe(false);
    expect(target.expiration).toEqual(plus(now, (4230 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it('asks for whole seconds', () => {
    const target = renewalTarget('users', at('2026-02-15T08:00:00.750Z'), 72);
    expect(target.expiration.getMilliseconds()).toBe(0);
  });
});

describe('resources a daily schedule cannot keep alive', () => {
  it('names presence, whose 60 minutes are shorter than a day', () => {
    expect(keepAliveProblem('communications/presences/abc', DAY, 72)).toMatch(/at most 60 minutes for a presence subscription.*24 h/);
  });

  it('names Teams Shifts, whose 6 hours are shorter than a day', () => {
    expect(keepAliveProblem('teams/abc/schedule/shifts', DAY, 72)).toMatch(/360 minutes/);
  });

  it('blames RENEWAL_LIFETIME_HOURS when it is the setting that is too short', () => {
    expect(keepAliveProblem('users/abc/messages', DAY, 20)).toMatch(/RENEWAL_LIFETIME_HOURS \(20\)/);
  });

  it('has nothing to say about Outlook mail on a daily schedule', () => {
    expect(keepAliveProblem('users/abc/messages', DAY, 72)).toBeUndefined();
  });
});

describe('what a stored subscription needs', () => {
  const nextRun = at('2026-02-16T08:00:00Z');
  const active = (hours: number, pendingLifecycleEvent?: string) => ({ state: 'active' as const, expirationDateTime: plus(nextRun, hours * HOUR), pendingLifecycleEvent });

  it('renews what is due, and nothing else unless forced', () => {
    expect(workFor(active(10), nextRun, 36)).toBe('renew');
    expect(workFor(active(40), nextRun, 36)).toBeUndefined();
    expect(workFor(active(40), nextRun, 36, true)).toBe('renew');
  });

  it('renews what Graph asked to reauthorize, due or not', () => {
    expect(workFor(active(60, 'reauthorizationRequired'), nextRun, 36)).toBe('renew');
  });

  it('recreates what Graph lost, even when forced to renew', () => {
    expect(workFor({ ...active(-5), state: 'expired' }, nextRun, 36, true)).toBe('recreate');
    expect(workFor(active(60, 'subscriptionRemoved'), nextRun, 36)).toBe('recreate');
  });
});

describe('telling the subscription an interrupted attempt created', () => {
  const definition = { resource: "users/a/mailFolders('Inbox')/messages", changeType: 'created,updated', notificationUrl: 'https://c.example/n', lifecycleNotificationUrl: 'https://a.example/l' };

  it('matches what Graph echoes: a leading slash, another case, change types reordered', () => {
    expect(matchesDefinition({ ...definition, resource: "/Users/a/mailFolders('Inbox')/messages", changeType: 'updated,created' }, definition)).toBe(true);
  });

  it('tells apart another URL, another lifecycle URL or another resource', () => {
    expect(matchesDefinition({ ...definition, notificationUrl: 'https://c.example/other' }, definition)).toBe(false);
    expect(matchesDefinition({ ...definition, lifecycleNotificationUrl: undefined }, definition)).toBe(false);
    expect(matchesDefinition({ ...definition, resource: 'users/b/messages' }, definition)).toBe(false);
  });
});

describe('when the Graph work on a leased row must stop', () => {
  const now = new Date('2026-11-28T09:00:00Z');

  it('is a minute before the lease ends, so the outcome is recorded while the row is still ours', () => {
    expect(graphDeadline(new Date('2026-11-28T09:20:00Z'), now, 20 * 60_000)).toEqual(new Date('2026-11-28T09:19:00Z'));
  });

  it('counts from now when the lease end is unknown', () => {
    expect(graphDeadline(undefined, now, 10 * 60_000)).toEqual(new Date('2026-11-28T09:09:00Z'));
  });
});

describe("asking again within the maximum Graph states", () => {
  it("reads Graph's maximum from its 400", () => {
    expect(statedMaximumMinutes('Subscription expiration can only be 4230 minutes in the future.')).toBe(4230);
    expect(statedMaximumMinutes('Subscription is in an invalid state.')).toBeUndefined();
  });

  it("asks for the stated maximum less the safety margin, from Graph's clock, never beyond the wanted lifetime", () => {
    const graphNow = new Date('2026-11-28T08:40:00.700Z');
    expect(targetWithinStatedMaximum(4230, graphNow, 72)).toEqual(new Date(Math.floor((graphNow.getTime() + (4230 - SAFETY_MARGIN_MINUTES) * 60_000) / 1000) * 1000));
    expect(targetWithinStatedMaximum(4230, graphNow, 24)).toEqual(new Date('2026-11-29T08:40:00Z'));
  });
});
