import { HttpRequest } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, vi } from 'vitest';
import { registerSubscription } from '../../src/functions/subscriptionOperations';
import { SHORT_LIVED_SCHEDULE } from '../../src/renewal/policy/cadence';
import { nextRunAfter, RENEWAL_SCHEDULE } from '../../src/renewal/policy/schedule';
import { HOUR, MINUTE } from '../support/fixtures';
import { scenario } from '../support/reliability/invariants';
import { useHarness } from '../support/useHarness';

// A month of both timers on a faked clock (Date only: sockets and timers stay real), firing each on
// its own schedule in Paris time across the spring clock change (2027-03-28: 02:00 becomes 03:00),
// with one subscription of every kind Graph documents as hard to keep: each registered through the
// real operation, so Graph's creation rules apply, and each must be alive before every firing.
const harness = useHarness();
beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

const DAY = 24 * HOUR;
const START = new Date('2027-03-15T07:55:00Z');
// Thirty 09:00 checks: the last is on 13 April (07:00 UTC in summer), the month ends just before the 14th's.
const END = new Date(START.getTime() + 30 * DAY - HOUR);
const HUB =
  'EventHub:https://evh-graph-dev.servicebus.windows.net/eventhubname/graphevents?tenantId=contoso.onmicrosoft.com';
const GRID =
  'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg-graph&partnertopic=graph-users&location=westeurope';
const CERTIFICATE = {
  encryptionCertificate: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
  encryptionCertificateId: 'key-1',
};

/** What is registered, by kind: the maximum Graph allows it, and the timer expected to keep it. */
const KINDS = {
  presence: {
    maxMinutes: 60,
    timer: 'short',
    body: { resource: 'communications/presences/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11', changeType: 'updated' },
  },
  'Teams Shifts': {
    maxMinutes: 360,
    timer: 'short',
    body: { resource: 'teams/5a1b2c3d-0000-4000-8000-000000000001/schedule/shifts', changeType: 'created,updated' },
  },
  'Outlook with resource data': {
    maxMinutes: 1440,
    timer: 'short',
    body: {
      resource: 'users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/messages',
      includeResourceData: true,
      ...CERTIFICATE,
    },
  },
  'Event Grid (users)': {
    maxMinutes: 41760,
    timer: 'daily',
    body: { resource: 'users', changeType: 'updated', notificationUrl: GRID },
  },
  'Event Hubs (Outlook events)': {
    maxMinutes: 10080,
    timer: 'daily',
    body: { resource: 'users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/events', notificationUrl: HUB },
  },
  'Teams chat with a lifecycle URL': {
    maxMinutes: 4320,
    timer: 'daily',
    body: { resource: 'chats/19:meeting_abc@thread.v2/messages' },
  },
  Copilot: {
    maxMinutes: 4320,
    timer: 'daily',
    body: { resource: 'copilot/interactionHistory/getAllEnterpriseInteractions' },
  },
} as const;

type Timer = 'daily' | 'short';

/** Every firing of both schedules between `from` and `to`, in order, as the host would fire them in Paris. */
function firings(from: Date, to: Date): { at: Date; timer: Timer }[] {
  const all: { at: Date; timer: Timer }[] = [];
  for (const [timer, cron] of [
    ['daily', RENEWAL_SCHEDULE],
    ['short', SHORT_LIVED_SCHEDULE],
  ] as const) {
    for (let at = nextRunAfter(from, cron, 'Europe/Paris'); at < to; at = nextRunAfter(at, cron, 'Europe/Paris'))
      all.push({ at, timer });
  }
  return all.sort((a, b) => a.at.getTime() - b.at.getTime() || (a.timer === 'daily' ? -1 : 1));
}

describe("a month of both timers under Graph's current rules", () => {
  scenario(
    'rules',
    'thirty days across the spring clock change: every kind stays alive, each timer on its own schedule',
    harness,
    async ({ arranged, checkpoint }) => {
      vi.setSystemTime(START);
      const ids = new Map<keyof typeof KINDS, string>();
      for (const [kind, { body }] of Object.entries(KINDS) as [
        keyof typeof KINDS,
        (typeof KINDS)[keyof typeof KINDS],
      ][]) {
        const request = new HttpRequest({
          method: 'POST',
          url: 'http://localhost:7071/api/webhooks/subscriptions',
          body: { string: JSON.stringify(body) },
        });
        const answer = harness.answered(await registerSubscription(request, harness.context('registerSubscription')));
        expect(answer.status, `${kind}: ${JSON.stringify(answer.jsonBody)}`).toBe(201);
        ids.set(kind, (answer.jsonBody as { subscription: { id: string } }).subscription.id);
      }
      await arranged();

      const schedule = firings(START, END);
      const fired = { daily: 0, short: 0 };
      let lastDay = -1;
      for (const { at, timer } of schedule) {
        // The host fires a moment late; every subscription must still be alive when it does.
        vi.setSystemTime(new Date(at.getTime() + 400));
        for (const [kind, id] of ids) {
          expect(
            harness.graph.subscriptions.get(id)?.expirationDateTime.getTime() ?? 0,
            `${kind} alive at ${at.toISOString()} (${timer})`,
          ).toBeGreaterThan(Date.now());
        }
        const error = timer === 'daily' ? await harness.runTimer() : await harness.runShortTimer();
        expect(error, `${timer} run at ${at.toISOString()}`).toBeUndefined();
        fired[timer]++;
        const day = Math.floor((at.getTime() - START.getTime()) / DAY);
        if (day !== lastDay) {
          lastDay = day;
          await checkpoint();
        }
      }

      // Each timer fired on its own schedule: 30 daily checks at 09:00 Paris (08:00 UTC, then 07:00 in summer),
      // and one short run every 10 minutes, the hour that does not exist on 2027-03-28 included in UTC terms.
      expect(fired.daily).toBe(30);
      const tenMinuteMarks = Math.ceil(END.getTime() / (10 * MINUTE)) - Math.ceil(START.getTime() / (10 * MINUTE));
      expect(fired.short).toBe(tenMinuteMarks);
      const daily = schedule
        .filter((firing) => firing.timer === 'daily')
        .map((firing) => firing.at.toISOString().slice(11, 16));
      expect(new Set(daily)).toEqual(new Set(['08:00', '07:00']));
      expect(harness.graph.violations).toEqual([]);

      // Each kind renewed by the timer that owns it, within its maximum, and never by the other.
      for (const [kind, { maxMinutes, timer }] of Object.entries(KINDS)) {
        const id = ids.get(kind as keyof typeof KINDS)!;
        const patches = harness.graph.patches(id);
        expect(patches.length, kind).toBeGreaterThan(0);
        for (const patch of patches) {
          const asked =
            Date.parse((patch.body as { expirationDateTime: string }).expirationDateTime) - patch.at.getTime();
          expect(asked, `${kind} asked within its maximum`).toBeLessThanOrEqual(maxMinutes * MINUTE);
          // A daily renewal lands on a 09:00 check; a short one on any 10-minute mark.
          const local = new Intl.DateTimeFormat('en-GB', {
            timeZone: 'Europe/Paris',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          }).format(patch.at);
          if (timer === 'daily') expect(local, `${kind} renewed by the daily check`).toBe('09:00');
        }
        outcomes.set(kind, { timer, patches: patches.length, maxMinutes });
      }
      const shortRuns = await harness.runs('shortrun');
      const dailyRuns = await harness.runs();
      expect(shortRuns).toHaveLength(fired.short);
      expect(dailyRuns).toHaveLength(fired.daily);
      expect([...shortRuns, ...dailyRuns].every((run) => run.outcome === 'succeeded')).toBe(true);
    },
    600_000,
  );
});

/** What the month did per kind: printed with MONTH_REPORT=1 (figures for people, not assertions). */
const outcomes = new Map<string, { timer: string; patches: number; maxMinutes: number }>();
afterEach(() => {
  if (process.env.MONTH_REPORT && outcomes.size > 0)
    console.info(`month of timers, renewals per kind: ${JSON.stringify(Object.fromEntries(outcomes))}`);
});
