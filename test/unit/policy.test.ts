import { describe, expect, it } from 'vitest';
import { graphDeadline } from '../../src/renewal/lease';
import { cadenceFor, keepAliveProblem, SAFETY_MARGIN_MINUTES } from '../../src/renewal/policy/cadence';
import { DOCUMENTED_RULES } from '../../src/renewal/policy/documentedLifetimes';
import { isDue, workFor } from '../../src/renewal/policy/due';
import { renewalTarget, statedMaximumMinutes, targetWithinStatedMaximum } from '../../src/renewal/policy/expiration';
import { GraphRules } from '../../src/renewal/policy/graphRules';
import { conflictingSubscriptionId, matchesDefinition } from '../../src/renewal/policy/matching';

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

const rules = () => new GraphRules(DOCUMENTED_RULES);
const EVENT_GRID =
  'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg&partnertopic=graph&location=westeurope';

describe('the expiration asked of Graph', () => {
  const now = at('2026-02-15T08:00:00Z');

  it("gives an Outlook subscription the wanted 72 hours, within Graph's 10,080 minutes (the seed's +3 days)", () => {
    const target = renewalTarget({ resource: "users/abc/mailFolders('Inbox')/messages" }, rules(), now, 72);
    expect(target.capped).toBe(false);
    expect(target.expiration).toEqual(plus(now, 72 * HOUR));
  });

  it("caps an Outlook subscription with resource data below Graph's 1,440 minutes", () => {
    const target = renewalTarget({ resource: 'users/abc/messages', includeResourceData: true }, rules(), now, 72);
    expect(target.capped).toBe(true);
    expect(target.lifetime).toMatchObject({ key: 'outlook+rich', maxMinutes: 1440 });
    expect(target.expiration).toEqual(plus(now, (1440 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it("caps a group conversation below Graph's 4,230 minutes", () => {
    const target = renewalTarget({ resource: "groups('1f2a')/conversations" }, rules(), now, 72);
    expect(target.expiration).toEqual(plus(now, (4230 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it('keeps a Teams subscription without a lifecycle URL within the hour Graph allows it', () => {
    const target = renewalTarget({ resource: 'chats/19:abc/messages' }, rules(), now, 72);
    expect(target.lifetime.cappedBecause).toMatch(/no lifecycleNotificationUrl/);
    expect(target.expiration).toEqual(plus(now, (60 - SAFETY_MARGIN_MINUTES) * MINUTE));
    expect(
      renewalTarget(
        { resource: 'chats/19:abc/messages', lifecycleNotificationUrl: 'https://a.example/l' },
        rules(),
        now,
        72,
      ).expiration,
    ).toEqual(plus(now, (4320 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it('gives the wanted lifetime when Graph allows more', () => {
    const target = renewalTarget({ resource: 'users' }, rules(), now, 72);
    expect(target.capped).toBe(false);
    expect(target.expiration).toEqual(plus(now, 72 * HOUR));
  });

  it('assumes the most conservative maximum for a resource it does not know', () => {
    const target = renewalTarget({ resource: 'someNewWorkload/things' }, rules(), now, 72);
    expect(target.lifetime.known).toBe(false);
    expect(target.expiration).toEqual(plus(now, (4230 - SAFETY_MARGIN_MINUTES) * MINUTE));
  });

  it('asks for whole seconds', () => {
    const target = renewalTarget({ resource: 'users' }, rules(), at('2026-02-15T08:00:00.750Z'), 72);
    expect(target.expiration.getMilliseconds()).toBe(0);
  });
});

describe('which timer keeps a subscription alive', () => {
  it.each([
    ["users/abc/mailFolders('Inbox')/messages", undefined, 'daily'],
    ['users/abc/messages', true, 'short'],
    ['communications/presences/abc', undefined, 'short'],
    ['teams/abc/schedule/shifts', undefined, 'short'],
    ["groups('1f2a')/conversations", undefined, 'daily'],
    ['security/alerts', undefined, 'daily'],
  ] as const)('%s (resource data: %s) is renewed by the %s timer', (resource, includeResourceData, cadence) => {
    expect(
      cadenceFor({ resource, includeResourceData, lifecycleNotificationUrl: 'https://a.example/l' }, rules()),
    ).toBe(cadence);
  });

  it('leaves a Teams subscription without a lifecycle URL to the 10-minute timer', () => {
    expect(cadenceFor({ resource: 'chats/getAllMessages' }, rules())).toBe('short');
    expect(
      cadenceFor({ resource: 'chats/getAllMessages', lifecycleNotificationUrl: 'https://a.example/l' }, rules()),
    ).toBe('daily');
  });

  it('finds no timer for an Event Grid subscription Graph lets live less than the 3 hours Event Grid wants', () => {
    const presence = { resource: 'communications/presences/abc', notificationUrl: EVENT_GRID };
    expect(cadenceFor(presence, rules())).toBe('none');
    expect(keepAliveProblem(presence, rules(), true)).toMatch(/Event Grid wants every renewal at least 3 hours ahead/);
    expect(cadenceFor({ resource: 'teams/abc/schedule/shifts', notificationUrl: EVENT_GRID }, rules())).toBe('short');
  });

  it('says a short-lived subscription will expire while the 10-minute timer is disabled', () => {
    expect(keepAliveProblem({ resource: 'communications/presences/abc' }, rules(), false)).toMatch(
      /at most 60 minutes for a presence subscription.*renewShortLivedSubscriptions timer .* is disabled/,
    );
  });

  it('has nothing to say about what a timer keeps alive', () => {
    expect(keepAliveProblem({ resource: 'users/abc/messages' }, rules(), false)).toBeUndefined();
    expect(keepAliveProblem({ resource: 'communications/presences/abc' }, rules(), true)).toBeUndefined();
  });
});

describe('what a stored subscription needs', () => {
  const nextRun = at('2026-02-16T08:00:00Z');
  const horizon = plus(nextRun, 36 * HOUR);
  const active = (hours: number, pendingLifecycleEvent?: string) => ({
    state: 'active' as const,
    expirationDateTime: plus(nextRun, hours * HOUR),
    pendingLifecycleEvent,
  });

  it('renews what is due, and nothing else unless forced', () => {
    expect(workFor(active(10), horizon)).toBe('renew');
    expect(workFor(active(40), horizon)).toBeUndefined();
    expect(workFor(active(40), horizon, true)).toBe('renew');
  });

  it('renews what Graph asked to reauthorize, due or not', () => {
    expect(workFor(active(60, 'reauthorizationRequired'), horizon)).toBe('renew');
  });

  it('recreates what Graph lost, even when forced to renew', () => {
    expect(workFor({ ...active(-5), state: 'expired' }, horizon, true)).toBe('recreate');
    expect(workFor(active(60, 'subscriptionRemoved'), horizon)).toBe('recreate');
  });
});

describe("the subscription Graph's 409 names", () => {
  it('is read from "Subscription Id <id> already exists for the requested combination"', () => {
    expect(
      conflictingSubscriptionId(
        'Subscription Id 7f1d2c3b-0a9e-4d5f-8c7b-6a5e4d3c2b1a already exists for the requested combination',
      ),
    ).toBe('7f1d2c3b-0a9e-4d5f-8c7b-6a5e4d3c2b1a');
    expect(conflictingSubscriptionId('A subscription already exists.')).toBeUndefined();
  });
});

describe('telling the subscription an interrupted attempt created', () => {
  const definition = {
    resource: "users/a/mailFolders('Inbox')/messages",
    changeType: 'created,updated',
    notificationUrl: 'https://c.example/n',
    lifecycleNotificationUrl: 'https://a.example/l',
  };

  it('matches what Graph echoes: a leading slash, another case, change types reordered', () => {
    expect(
      matchesDefinition(
        { ...definition, resource: "/Users/a/mailFolders('Inbox')/messages", changeType: 'updated,created' },
        definition,
      ),
    ).toBe(true);
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

describe('asking again within the maximum Graph states', () => {
  it("reads Graph's maximum from its 400", () => {
    expect(statedMaximumMinutes('Subscription expiration can only be 4230 minutes in the future.')).toBe(4230);
    expect(statedMaximumMinutes('Subscription is in an invalid state.')).toBeUndefined();
  });

  it("asks for the stated maximum less the safety margin, from Graph's clock, never beyond the wanted lifetime", () => {
    const graphNow = new Date('2026-11-28T08:40:00.700Z');
    expect(targetWithinStatedMaximum(4230, graphNow, 72)).toEqual(
      new Date(Math.floor((graphNow.getTime() + (4230 - SAFETY_MARGIN_MINUTES) * 60_000) / 1000) * 1000),
    );
    expect(targetWithinStatedMaximum(4230, graphNow, 24)).toEqual(new Date('2026-11-29T08:40:00Z'));
  });
});
