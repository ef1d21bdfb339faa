import { HttpRequest } from '@azure/functions';
import { describe, expect } from 'vitest';
import { removeSubscription, renewSubscriptionsNow } from '../../src/functions/subscriptionOperations';
import { settled } from '../../src/lifecycle/backlog';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { scenario } from '../support/reliability/invariants';
import { seededRandom } from '../support/reliability/seededRandom';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
const random = seededRandom(6);

const timer = () => harness.runTimer();

async function operation(
  handler: typeof renewSubscriptionsNow,
  path: string,
  body: unknown,
  params: Record<string, string> = {},
) {
  const request = new HttpRequest({
    method: path.includes('renew') ? 'POST' : 'DELETE',
    url: `http://localhost:7071/api/${path}`,
    params,
    body: { string: JSON.stringify(body) },
  });
  return harness.answered(await handler(request, harness.context('operations')));
}

/**
 * "Renew now" without `force`: it renews what is due when it reads the row. (A forced one renews even
 * a subscription the timer renewed a moment before, by request: a third PATCH that is no race.)
 */
const manualRenew = (id?: string) => operation(renewSubscriptionsNow, 'webhooks/subscriptions/renew', id ? { id } : {});

/**
 * One PATCH answers both the schedule and the event, unless the renewal was under way before the
 * event was sent: then the event gets a PATCH of its own, after it. Never more.
 */
function expectPatchedForScheduleAndEvent(id: string): void {
  const patches = harness.graph.patches(id);
  const event = harness.graph.deliveries.find((d) => d.kind === 'lifecycle' && d.subscriptionId === id)!;
  expect(patches.length, id).toBeGreaterThanOrEqual(1);
  expect(patches.length, id).toBeLessThanOrEqual(2);
  if (patches.length === 2) expect(patches[1]!.at.getTime()).toBeGreaterThanOrEqual(event.sentAt.getTime());
}

/** Starts each of `actions` after its own seeded delay (0-25 ms), all at once, and waits for all and for lifecycle work left in the background. */
async function race(actions: (() => Promise<unknown>)[]): Promise<void> {
  await Promise.all(
    actions.map((action) => new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 25))).then(action)),
  );
  await settled();
}

describe('races on one subscription', () => {
  scenario(
    'races',
    'the timer, a manual renew and a reauthorizationRequired at once, ten times over: one PATCH (a second only for an event sent after the first began), never two at once',
    harness,
    async ({ arranged, checkpoint }) => {
      harness.graph.latencyMs = 20;
      for (let round = 0; round < 10; round++) {
        const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
        await arranged();

        await race([timer, () => manualRenew(id), () => harness.graph.sendLifecycle(id, 'reauthorizationRequired')]);

        expectPatchedForScheduleAndEvent(id);
        // Never two writes to one subscription in flight at once, never a PATCH within 10 minutes of a reauthorize.
        expect(harness.graph.violations).toEqual([]);
        const row = await harness.row(id);
        expect(row).toMatchObject({
          pendingLifecycleEvent: '',
          leaseUntil: '',
          expirationDateTime: harness.graph.subscriptions.get(id)!.expirationDateTime,
        });
        await checkpoint();
      }
    },
    60_000,
  );

  scenario(
    'races',
    'the timer, a manual renew of everything and a reauthorizationRequired for each of 20 subscriptions: one PATCH each, or a second after an event that came late, never two at once',
    harness,
    async ({ arranged }) => {
      harness.graph.latencyMs = 10;
      const now = new Date();
      const ids = await Promise.all(
        Array.from({ length: 20 }, () => storeSubscription(harness, { expiresAt: hoursFrom(now, 5) })),
      );
      await arranged();

      await race([
        timer,
        () => manualRenew(),
        ...ids.map((id) => () => harness.graph.sendLifecycle(id, 'reauthorizationRequired')),
      ]);

      for (const id of ids) {
        expectPatchedForScheduleAndEvent(id);
        expect(await harness.row(id)).toMatchObject({ pendingLifecycleEvent: '', leaseUntil: '' });
      }
      // Never two writes to one subscription in flight at once, never a PATCH within 10 minutes of a reauthorize.
      expect(harness.graph.violations).toEqual([]);
    },
    60_000,
  );

  scenario(
    'races',
    'a subscriptionRemoved during the timer and a manual renew: recreated exactly once',
    harness,
    async ({ arranged }) => {
      harness.graph.latencyMs = 20;
      const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
      await arranged();

      await race([timer, () => manualRenew(id), () => harness.graph.sendLifecycle(id, 'subscriptionRemoved')]);
      // Whatever lost the race left the recreation to the next run, which finds it done or does it.
      await timer();

      expect(
        harness.graph.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/subscriptions'),
      ).toHaveLength(1);
      const [successor] = [...harness.graph.subscriptions.values()];
      const row = await harness.row(successor!.id);
      expect(row.replaces).toBe(id);
      expect(row.pendingLifecycleEvent ?? '').toBe('');
    },
  );

  scenario(
    'races',
    "an operator's remove during the timer and a reauthorizationRequired: the row and the subscription are gone, nothing recreated",
    harness,
    async ({ arranged }) => {
      harness.graph.latencyMs = 20;
      const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
      await arranged();

      let removed = 0;
      await race([
        timer,
        () => harness.graph.sendLifecycle(id, 'reauthorizationRequired'),
        // A remove refused with 409 (the row is busy) is tried again, as docs/operations.md tells operators to.
        async () => {
          for (let attempt = 0; attempt < 50 && removed !== 200; attempt++) {
            removed =
              (await operation(removeSubscription, `webhooks/subscriptions/${id}`, undefined, { id })).status ?? 0;
            if (removed === 409) await new Promise((resolve) => setTimeout(resolve, 50));
          }
        },
      ]);
      await timer();

      expect(removed).toBe(200);
      expect(harness.graph.subscriptions.has(id)).toBe(false);
      expect(
        harness.graph.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/subscriptions'),
      ).toHaveLength(0);
      await expect(harness.row(id)).rejects.toMatchObject({ statusCode: 404 });
      return { removed: [id] };
    },
  );
});
