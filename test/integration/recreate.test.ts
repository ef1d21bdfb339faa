import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import type { Harness } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

async function rows(): Promise<Record<string, any>[]> {
  const all: Record<string, any>[] = [];
  for await (const entity of harness.subscriptionsTable.listEntities()) all.push(entity);
  return all;
}

/** The subscriptions on the emulator for the stored definition (same resource and URLs). */
const onGraphFor = (h: Harness) =>
  [...h.graph.subscriptions.values()].filter(
    (s) => s.resource === INBOX && s.notificationUrl === h.env.WEBHOOK_NOTIFICATION_URL,
  );

describe('a subscription Graph lost', () => {
  it('is recreated from its stored definition, and its new row takes the old one’s place', async () => {
    const lostAt = hoursFrom(new Date(), -2);
    const old = await storeSubscription(harness, { expiresAt: lostAt, onGraph: false, partitionKey: 'team-a' });

    await run();

    const [created] = onGraphFor(harness);
    expect(created).toMatchObject({
      changeType: 'created',
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      clientState: harness.env.WEBHOOK_CLIENT_STATE,
    });
    // One row, in the same partition, under the new id, with the trail back to the old one.
    expect(await rows()).toEqual([
      expect.objectContaining({
        partitionKey: 'team-a',
        rowKey: created!.id,
        resource: INBOX,
        state: 'active',
        replaces: old,
        recreatedAt: expect.any(Date),
        expirationDateTime: created!.expirationDateTime,
        lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      }),
    ]);
    const warning = harness.messages('warning').find((m) => m.includes('"event":"subscriptionRecreated"'));
    expect(warning).toMatch(
      new RegExp(
        `^Webhook recreated \\(subscription ${old}.*replaced by ${created!.id}.*the consumer must resync \\(delta query\\)`,
      ),
    );
    expect(JSON.parse(/\| (\{.*\})$/.exec(warning!)![1]!)).toMatchObject({
      subscriptionId: old,
      newSubscriptionId: created!.id,
      adopted: false,
      lostSince: expect.any(String),
    });
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', recreated: 1, expired: 0 });
    // The client state is sent to Graph, never written to a log.
    expect(harness.logs.some((l) => l.message.includes(harness.env.WEBHOOK_CLIENT_STATE!))).toBe(false);
  });

  it('is recreated when a row is already marked expired by an earlier run', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -30),
      onGraph: false,
      row: { state: 'expired' },
    });
    await run();
    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(onGraphFor(harness)).toHaveLength(1);
  });

  it('keeps its definition when Graph cannot validate the notification URL, and is recreated once it can', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    harness.host.consumer = 'wrong-token';

    await run();

    expect(await harness.row(id)).toMatchObject({
      state: 'expired',
      lastErrorStatus: 400,
      lastErrorCode: 'ValidationError',
      notificationUrl: harness.host.notificationUrl,
    });
    expect(harness.messages('error')).toContainEqual(
      expect.stringContaining(
        `Graph could not validate the notification URL (${harness.host.notificationUrl} or ${harness.env.WEBHOOK_LIFECYCLE_URL})`,
      ),
    );
    expect(harness.graph.subscriptions.size).toBe(0);
    // A refused creation made nothing: the in-progress mark is cleared, so the next attempt does not look for it.
    expect((await harness.row(id)).recreateStartedAt).toBe('');

    harness.host.consumer = 'valid';
    await run();
    expect(onGraphFor(harness)).toHaveLength(1);
    expect(await rows()).toEqual([expect.objectContaining({ replaces: id, state: 'active' })]);
  });

  it('is adopted, not created twice, when Graph created it but its answer was lost', async () => {
    process.env.GRAPH_TIMEOUT_SECONDS = '1';
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    // Graph creates the subscription, but only after the app stopped waiting for the answer.
    harness.graph.inject({ method: 'POST', delayMs: 1500, completeAnyway: true, times: 1 });

    await run();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(onGraphFor(harness)).toHaveLength(1);
    expect(await harness.row(id)).toMatchObject({
      state: 'expired',
      lastErrorCode: 'Timeout',
      recreateStartedAt: expect.any(Date),
    });

    harness.graph.requests.length = 0;
    await run();

    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    const [created] = onGraphFor(harness);
    expect(onGraphFor(harness)).toHaveLength(1);
    expect(await rows()).toEqual([expect.objectContaining({ rowKey: created!.id, replaces: id })]);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringContaining('adopted the one an interrupted attempt had created'),
    );
  });

  it('is adopted after a crash between POST and the table write', async () => {
    // The state such a crash leaves: the row marked and expired, its lease lapsed, and Graph holding
    // a subscription no row names.
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -1),
      onGraph: false,
      row: {
        state: 'expired',
        recreateStartedAt: hoursFrom(new Date(), -0.5),
        leaseUntil: hoursFrom(new Date(), -0.1),
      },
    });
    const orphan = harness.graph.add({
      id: 'created-before-the-crash',
      resource: INBOX,
      expirationDateTime: hoursFrom(new Date(), 60),
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL!,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL!,
    });
    // Another subscription that is stored already must not be taken for it.
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 65) });

    await run();

    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(await harness.row(orphan.id)).toMatchObject({ replaces: id, expirationDateTime: orphan.expirationDateTime });
    await expect(harness.row(id)).rejects.toMatchObject({ statusCode: 404 });
    expect(onGraphFor(harness)).toHaveLength(2);
  });

  it('says what is missing when the row cannot be recreated from', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -1),
      onGraph: false,
      row: { notificationUrl: '' },
    });
    await run();
    expect(await harness.row(id)).toMatchObject({
      state: 'expired',
      lastErrorCode: 'DefinitionIncomplete',
      lastErrorMessage: 'The row has no notificationUrl.',
    });
    expect(harness.messages('error')).toContainEqual(expect.stringContaining('Add notificationUrl to the row'));
    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('says to set WEBHOOK_CLIENT_STATE when it is not set', async () => {
    delete process.env.WEBHOOK_CLIENT_STATE;
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    await run();
    expect(await harness.row(id)).toMatchObject({ state: 'expired', lastErrorCode: 'ClientStateMissing' });
    expect(harness.messages('error')).toContainEqual(
      expect.stringContaining('WEBHOOK_CLIENT_STATE is not set. Fix WEBHOOK_CLIENT_STATE'),
    );
    expect(harness.graph.subscriptions.size).toBe(0);
  });

  it('is deleted again on Graph when its row is removed while Graph creates it', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    harness.graph.inject({ method: 'POST', delayMs: 300, times: 1 });

    const running = run();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await harness.subscriptionsTable.deleteEntity('default', id);
    await running;

    expect(harness.graph.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(harness.graph.subscriptions.size).toBe(0);
    expect(await rows()).toEqual([]);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringContaining('Webhook row removed while it was being recreated'),
    );
  });

  it('fails only that subscription when its row cannot be written, and renews the others', async () => {
    // An interrupted recreation: the run first lists Graph, and meanwhile the row disappears.
    const broken = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -1),
      onGraph: false,
      row: { state: 'expired', recreateStartedAt: hoursFrom(new Date(), -1) },
    });
    const healthy = await Promise.all(
      [2, 3].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(new Date(), h) })),
    );
    harness.graph.inject({ method: 'GET', delayMs: 300, times: 1 });
    process.env.RENEWAL_CONCURRENCY = '1';

    const running = run();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await harness.subscriptionsTable.deleteEntity('default', broken);
    await running;

    for (const id of healthy) expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', renewed: 2, expired: 1 });
  });
});
