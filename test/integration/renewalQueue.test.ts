import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordPoisonedRenewal } from '../../src/functions/recordPoisonedRenewal';
import { renewQueuedSubscription } from '../../src/functions/renewQueuedSubscription';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { QUEUE_MAX_ATTEMPTS } from '../../src/renewal/queueMessage';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
/** What the host does with a message from the queue: hands its parsed JSON to the handler. */
const deliver = (message: unknown) => renewQueuedSubscription(message, harness.context('renewQueuedSubscription'));

/** A run with a 1.8 s budget and 0.5 s per Graph call, one at a time: it gets through 3 or 4 of 8. */
async function runOutOfTime(): Promise<string[]> {
  Object.assign(process.env, { RENEWAL_RUN_BUDGET_MINUTES: '0.03', RENEWAL_CONCURRENCY: '1' });
  harness.graph.latencyMs = 500;
  const now = new Date();
  const ids = await Promise.all(
    [1, 2, 3, 4, 5, 6, 7, 8].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
  );
  await run();
  harness.graph.latencyMs = 0;
  return ids;
}

describe('handing the rest of a run to the renewal queue', () => {
  it('stops starting renewals at the budget and queues the rest, ids only', async () => {
    const ids = await runOutOfTime();

    const [record] = await harness.runs();
    expect(record).toMatchObject({ outcome: 'succeeded', deferred: 0 });
    expect(record!.renewed as number).toBeGreaterThan(0);
    expect((record!.renewed as number) + (record!.queued as number)).toBe(8);
    const messages = await harness.takeQueuedRenewals();
    expect(messages).toHaveLength(record!.queued as number);
    for (const message of messages) expect(Object.keys(message!).sort()).toEqual(['partitionKey', 'rowKey', 'runId']);
    expect(messages.map((m) => m!.runId)).toEqual(messages.map(() => record!.rowKey));
    // Nothing half-written: every subscription is either renewed (on Graph and in the table) or queued, untouched.
    const queued = new Set(messages.map((m) => m!.rowKey));
    for (const id of ids) {
      const renewedOnGraph = harness.graph.patches(id).length === 1;
      expect(renewedOnGraph).toBe(!queued.has(id));
    }
    expect(harness.messages('warning')).toContainEqual(
      expect.stringMatching(/^Run time budget used up: \d due webhook\(s\) handed to the renewal queue renewals-/),
    );
  });

  it('renews what it queued when the queue trigger delivers the messages', async () => {
    const ids = await runOutOfTime();

    for (const message of await harness.takeQueuedRenewals()) await deliver(message);

    for (const id of ids) {
      const onGraph = harness.graph.subscriptions.get(id)!.expirationDateTime;
      expect(onGraph.getTime()).toBeGreaterThan(Date.now() + 70 * HOUR);
      expect((await harness.row(id)).expirationDateTime).toEqual(onGraph);
    }
  });

  it('renews once when a message is delivered twice, and never moves the expiration back', async () => {
    await runOutOfTime();
    const [message] = await harness.takeQueuedRenewals();
    await deliver(message);
    const after = (await harness.row(message!.rowKey)).expirationDateTime as Date;

    await deliver(message);

    expect(harness.graph.patches(message!.rowKey)).toHaveLength(1);
    expect((await harness.row(message!.rowKey)).expirationDateTime).toEqual(after);
    expect(harness.messages('information')).toContainEqual(
      expect.stringMatching(new RegExp(`^Queued renewal skipped: subscription ${message!.rowKey} is valid until`)),
    );
  });

  it('fails the invocation when the renewal fails, so the queue tries again, and records it on the row', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    harness.graph.inject({ method: 'PATCH', subscriptionId: id, status: 503, times: 10 });

    await expect(deliver({ partitionKey: 'default', rowKey: id, runId: 'r1' })).rejects.toThrow(
      `Renewal of subscription ${id} failed`,
    );

    expect(await harness.row(id)).toMatchObject({ consecutiveFailures: 1, lastErrorStatus: 503 });
  });

  it('does nothing for a subscription whose row was deleted since', async () => {
    await deliver({ partitionKey: 'default', rowKey: 'gone-since', runId: 'r1' });
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('ignores a message that is not one of ours, without echoing it', async () => {
    await deliver({ hello: 'AccountKey=c2VjcmV0' });
    expect(harness.messages('error')).toEqual([
      "Renewal queue message ignored: it does not hold a subscription row's keys.",
    ]);
  });
});

describe('a renewal the queue gave up on (poison queue)', () => {
  it('is logged as an error naming the subscription and recorded on the row, so the status reports it', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });

    await recordPoisonedRenewal(
      { partitionKey: 'default', rowKey: id, runId: 'r1' },
      harness.context('recordPoisonedRenewal'),
    );

    const line = harness.messages('error').find((m) => m.includes('"event":"renewalPoisoned"'));
    expect(line).toContain(`subscription ${id}`);
    expect(line).toContain(`after ${QUEUE_MAX_ATTEMPTS} attempt(s)`);
    expect(await harness.row(id)).toMatchObject({ consecutiveFailures: 1, lastErrorCode: 'RenewalQueueGaveUp' });
  });

  it('leaves a row alone that was renewed meanwhile, and says so', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 24 * 10) });

    await recordPoisonedRenewal(
      { partitionKey: 'default', rowKey: id, runId: 'r1' },
      harness.context('recordPoisonedRenewal'),
    );

    expect(harness.messages('error')).toContainEqual(expect.stringContaining('it has been renewed or removed since'));
    expect(await harness.row(id)).not.toHaveProperty('lastErrorCode');
  });

  it("counts the same attempts as host.json's maxDequeueCount", () => {
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8'));
    expect(host.extensions.queues.maxDequeueCount).toBe(QUEUE_MAX_ATTEMPTS);
  });
});
