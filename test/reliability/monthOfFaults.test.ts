import { afterEach, beforeEach, describe, expect, vi } from 'vitest';
import { HOUR, MINUTE, storeSubscription } from '../support/fixtures';
import { scenario } from '../support/reliability/invariants';
import { seededRandom } from '../support/reliability/seededRandom';
import { useHarness } from '../support/useHarness';

// A month of daily checks on a faked clock (Date only: sockets and timers stay real), with a seeded
// mix of bad days. What the policy promises (docs/behaviour.md, "How a run behaves"): a subscription that
// becomes due has one more check before it expires, so one failed run in a row loses nothing.
const harness = useHarness();
beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

const DAY = 24 * HOUR;
const firstCheck = new Date('2026-03-02T08:00:00.500Z'); // 09:00 in Paris

/** Outlook mail (4,230 minutes), a user (41,760) and a drive (42,300), in several mailboxes. */
const resources = [
  ...Array.from({ length: 8 }, (_, i) => `users/0000000${i}-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages`),
  ...Array.from({ length: 2 }, (_, i) => `users/0000001${i}-0f7e-4c55-9d0b-4b1f1c0d2a11/events`),
  'users',
  'drives/b!x1/root',
];

describe('a month of daily checks', () => {
  scenario(
    'schedule',
    'thirty days with a seeded mix of failed runs, failing subscriptions and throttling: nothing ever expires',
    harness,
    async ({ arranged, checkpoint }) => {
      const random = seededRandom(31);
      // The write-rate limiter recovers from a 429 in real time (half Graph's ceiling per window), and
      // here a day passes in a second: a window of half a second lets it recover between two days.
      Object.assign(process.env, { GRAPH_WRITES_PER_WINDOW: '1000', GRAPH_WRITE_WINDOW_SECONDS: '0.5' });
      vi.setSystemTime(new Date(firstCheck.getTime() - 18 * HOUR));
      const ids: string[] = [];
      for (const resource of resources)
        ids.push(await storeSubscription(harness, { resource, expiresAt: new Date(Date.now() + 4000 * MINUTE) }));
      await arranged();

      // No subscription fails two checks in a row: that is beyond what the margin promises.
      let failedYesterday = new Set<string>();
      const days: string[] = [];
      for (let day = 0; day < 30; day++) {
        vi.setSystemTime(new Date(firstCheck.getTime() + day * DAY));
        for (const id of ids) {
          expect(
            harness.graph.subscriptions.get(id)!.expirationDateTime.getTime(),
            `${id} alive on day ${day}`,
          ).toBeGreaterThan(Date.now());
        }
        harness.graph.faults.length = 0;
        const roll = random();
        const failing = new Set<string>();
        if (roll < 0.2 && failedYesterday.size === 0) {
          // Graph down for the whole run: every PATCH answers 503.
          harness.graph.inject({ method: 'PATCH', status: 503, times: Infinity });
          ids.forEach((id) => failing.add(id));
          days.push('down');
        } else if (roll < 0.5) {
          // Some subscriptions fail for good today (403, or 503 on every attempt).
          for (const id of ids) {
            if (failedYesterday.has(id) || random() > 0.3) continue;
            harness.graph.inject({
              method: 'PATCH',
              subscriptionId: id,
              status: random() < 0.5 ? 403 : 503,
              times: Infinity,
            });
            failing.add(id);
          }
          days.push(`${failing.size} failing`);
        } else if (roll < 0.7) {
          harness.graph.inject({ method: 'PATCH', status: 429, headers: { 'Retry-After': '0' }, times: 10 });
          days.push('throttled');
        } else {
          days.push('healthy');
        }

        await harness.runTimer();

        for (const id of ids) {
          const renewedToday = harness.graph.patches(id).some((patch) => patch.at.getTime() >= Date.now() - MINUTE);
          if (failing.has(id))
            expect((await harness.row(id)).consecutiveFailures, `${id} on day ${day}`).toBeGreaterThanOrEqual(1);
          else if (renewedToday) expect((await harness.row(id)).consecutiveFailures).toBe(0);
        }
        failedYesterday = failing;
        await checkpoint();
      }
      // The seed gives every kind of day at least once.
      expect(new Set(days.map((d) => d.replace(/^\d+ /, '')))).toEqual(
        new Set(['down', 'failing', 'throttled', 'healthy']),
      );
    },
    120_000,
  );
});
