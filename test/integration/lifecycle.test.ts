import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { lifecycleNotifications, MAX_BODY_BYTES } from '../../src/functions/lifecycleNotifications';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { settled } from '../../src/lifecycle/backlog';
import { RECORD_WITHIN_MS } from '../../src/lifecycle/handleLifecycle';
import { SubscriptionTable } from '../../src/storage/subscriptionTable';
import { hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import { RequestCounter } from '../support/requestCounter';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

function post(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, query = '') {
  return lifecycleNotifications(
    new HttpRequest({
      method: 'POST',
      url: `http://localhost:7071/api/webhooks/lifecycle${query}`,
      headers,
      body: { string: body },
    }),
    harness.context('lifecycleNotifications'),
  ).then((answer) => harness.answered(answer));
}

const notification = (subscriptionId: string, lifecycleEvent: string, clientState = harness.env.WEBHOOK_CLIENT_STATE) =>
  JSON.stringify({
    value: [
      {
        subscriptionId,
        clientState,
        lifecycleEvent,
        tenantId: 't',
        subscriptionExpirationDateTime: new Date().toISOString(),
      },
    ],
  });

async function asyncFirst<T>(pages: AsyncIterable<T>): Promise<T> {
  for await (const page of pages) return page;
  throw new Error('no page');
}

async function rows(): Promise<Record<string, any>[]> {
  const all: Record<string, any>[] = [];
  for await (const entity of harness.subscriptionsTable.listEntities()) all.push(entity);
  return all;
}

describe('the validation handshake', () => {
  it('echoes the decoded token as plain text, never as HTML, even when it holds a script', async () => {
    const token = '<script>alert("x")</script> Validation: Testing client application reachability';
    const answer = await post('', {}, `?validationToken=${encodeURIComponent(token)}`);
    expect(answer).toMatchObject({ status: 200, body: token });
    expect(answer.headers).toMatchObject({
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  it('passes Graph’s own validation when a subscription names this endpoint', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
    expect(harness.graph.deliveries).toContainEqual({
      url: harness.env.WEBHOOK_LIFECYCLE_URL,
      kind: 'validation',
      sentAt: expect.any(Date),
      status: 200,
      body: expect.any(String),
    });
  });
});

describe('lifecycle notifications from Graph', () => {
  it('reauthorizationRequired: renews the subscription (which reauthorizes it) and answers 202', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });

    const answer = await harness.graph.sendLifecycle(id, 'reauthorizationRequired');
    await settled();

    expect(answer.status).toBe(202);
    expect(harness.graph.patches(id)).toHaveLength(1);
    const row = await harness.row(id);
    expect(row).toMatchObject({
      pendingLifecycleEvent: '',
      expirationDateTime: harness.graph.subscriptions.get(id)!.expirationDateTime,
    });
    expect((row.expirationDateTime as Date).getTime()).toBeGreaterThan(hoursFrom(new Date(), 60).getTime());
    expect(harness.graph.violations).toEqual([]);
  });

  it('subscriptionRemoved: recreates the subscription in the row’s place', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });

    expect((await harness.graph.sendLifecycle(id, 'subscriptionRemoved')).status).toBe(202);
    await settled();

    const [replacement] = [...harness.graph.subscriptions.values()];
    expect(harness.graph.subscriptions.size).toBe(1);
    expect(await rows()).toEqual([
      expect.objectContaining({ rowKey: replacement!.id, replaces: id, state: 'active', resource: INBOX }),
    ]);
    expect(harness.messages('warning')).toContainEqual(expect.stringContaining('the consumer must resync'));
  });

  it('missed: records it on the row and logs an error naming the subscription', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });

    expect((await harness.graph.sendLifecycle(id, 'missed')).status).toBe(202);

    expect((await harness.row(id)).lastMissedAt).toBeInstanceOf(Date);
    expect(harness.messages('error')).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Graph could not deliver some change notifications for subscription ${id} .*resync with a delta query.*"event":"notificationsMissed"`,
        ),
      ),
    );
    expect(harness.graph.patches(id)).toHaveLength(0);
  });

  it('ignores a notification whose client state does not match, without saying what either is', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });
    const forged = 'forged-client-state-0123456789';

    expect((await harness.graph.sendLifecycle(id, 'subscriptionRemoved', { clientState: forged })).status).toBe(202);
    await settled();

    expect(harness.graph.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringContaining(`(subscription ${id}): its clientState does not match WEBHOOK_CLIENT_STATE`),
    );
    const logged = harness.logs.map((l) => l.message).join('\n');
    expect(logged).not.toContain(forged);
    expect(logged).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
    expect(await rows()).toHaveLength(1);
  });

  it('ignores a notification for a subscription it does not store', async () => {
    const answer = await post(notification('not-ours', 'reauthorizationRequired'));
    expect(answer.status).toBe(202);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringContaining('(subscription not-ours): no stored subscription has this id'),
    );
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('ignores items that are not lifecycle notifications and acts on the others', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });
    const body = JSON.parse(notification(id, 'missed'));
    body.value.unshift({ subscriptionId: id }, 'junk', {
      subscriptionId: id,
      clientState: harness.env.WEBHOOK_CLIENT_STATE,
      lifecycleEvent: 'somethingNew',
    });
    expect((await post(JSON.stringify(body))).status).toBe(202);
    expect(harness.messages('warning')).toEqual(
      expect.arrayContaining([
        expect.stringContaining('item 0 has no lifecycleEvent'),
        expect.stringContaining('item 1 has no subscriptionId'),
        expect.stringContaining('unknown lifecycleEvent "somethingNew"'),
      ]),
    );
    expect((await harness.row(id)).lastMissedAt).toBeInstanceOf(Date);
  });

  it('does not renew twice when the timer and a reauthorizationRequired reach one subscription at once', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
    harness.graph.latencyMs = 30;

    await Promise.all([
      renewSubscriptions(harness.timer(), harness.context('renewSubscriptions')),
      harness.graph.sendLifecycle(id, 'reauthorizationRequired'),
    ]);
    await settled();

    expect(harness.graph.patches(id)).toHaveLength(1);
    const row = await harness.row(id);
    expect(row).toMatchObject({
      pendingLifecycleEvent: '',
      expirationDateTime: harness.graph.subscriptions.get(id)!.expirationDateTime,
    });
  });

  it('recreates a subscription removed while a run was renewing it, once the run lets go of its row', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
    // A run holds the row: its PATCH went through, its table write is still to come.
    const table = new SubscriptionTable(harness.subscriptionsTable);
    const [row] = (await asyncFirst(table.pages())).map((r) => (r.ok ? r.subscription : undefined));
    const leased = await table.claim(row!, hoursFrom(new Date(), 1), () => true);

    // Graph removes the subscription and says so; the lifecycle endpoint finds the row busy.
    expect((await harness.graph.sendLifecycle(id, 'subscriptionRemoved')).status).toBe(202);
    expect(await harness.row(id)).toMatchObject({ pendingLifecycleEvent: 'subscriptionRemoved' });

    // The run records its renewal: the removal it did not see is kept, and the lease given back.
    await table.saveRenewal(leased!, hoursFrom(new Date(), 70), new Date(), false);
    expect(await harness.row(id)).toMatchObject({ pendingLifecycleEvent: 'subscriptionRemoved', leaseUntil: '' });

    await settled();
    const [replacement] = [...harness.graph.subscriptions.values()];
    expect(await rows()).toEqual([expect.objectContaining({ rowKey: replacement!.id, replaces: id, state: 'active' })]);
  }, 30_000);

  it('answers 503 and acts on nothing while WEBHOOK_CLIENT_STATE is unusable', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });
    process.env.WEBHOOK_CLIENT_STATE = 'too-short';
    const answer = await post(notification(id, 'subscriptionRemoved', 'too-short'));
    expect(answer.status).toBe(503);
    expect(harness.messages('error')).toContainEqual(
      expect.stringContaining('Lifecycle notifications cannot be verified: WEBHOOK_CLIENT_STATE: is 9 characters long'),
    );
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('leaves a reauthorization the app could not do to the next run', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 60) });
    harness.graph.inject({ method: 'PATCH', status: 503, times: 4 });

    await harness.graph.sendLifecycle(id, 'reauthorizationRequired');
    await settled();
    expect(await harness.row(id)).toMatchObject({
      pendingLifecycleEvent: 'reauthorizationRequired',
      consecutiveFailures: 1,
    });

    // Not due by its expiration, but the pending reauthorization makes the next run renew it.
    await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
    expect(await harness.row(id)).toMatchObject({ pendingLifecycleEvent: '', consecutiveFailures: 0 });
  });
});

describe('bad requests', () => {
  const noStack = (body: unknown) => expect(JSON.stringify(body ?? '')).not.toMatch(/\bat .*\.(ts|js):\d+|Error:/);

  it('refuses a body over the limit with 400', async () => {
    const answer = await post(`{"value":[${'"x",'.repeat(MAX_BODY_BYTES / 4)}"x"]}`);
    expect(answer).toMatchObject({
      status: 400,
      jsonBody: { success: false, error: `the body is over ${MAX_BODY_BYTES} bytes.` },
    });
    noStack(answer.jsonBody);
  });

  it('refuses JSON that does not parse, or is not a lifecycle payload, with 400', async () => {
    for (const body of ['{"value": [', 'null', '[]', '{"value": 3}']) {
      const answer = await post(body);
      expect(answer.status).toBe(400);
      noStack(answer.jsonBody);
    }
  });

  it('refuses a body that is not JSON with 415', async () => {
    const answer = await post('value=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(answer).toMatchObject({ status: 415 });
  });

  it('names the first ten items it ignores and counts the rest', async () => {
    const value = Array.from({ length: 25 }, (_, i) => ({
      subscriptionId: `forged-${i}`,
      clientState: 'wrong-wrong-wrong-wrong',
      lifecycleEvent: 'subscriptionRemoved',
    }));
    expect((await post(JSON.stringify({ value }))).status).toBe(202);
    expect(harness.messages('warning').filter((m) => m.includes('"event":"lifecycleIgnored"'))).toHaveLength(10);
    expect(harness.messages('warning')).toContainEqual(
      'Lifecycle notifications: 15 more item(s) ignored in this request (not named).',
    );
  });
});

describe('recorded before the answer, whatever the load', () => {
  it('answers 202 only once the event is on its row', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });

    const answer = await post(notification(id, 'reauthorizationRequired'));

    expect(answer.status).toBe(202);
    expect(await harness.row(id)).toMatchObject({
      pendingLifecycleEvent: expect.stringMatching(/^(reauthorizationRequired|)$/),
      lastLifecycleEventAt: expect.any(Date),
    });
    await settled();
  });

  it('answers 503 when the table is too slow to record the event in time, so Graph sends it again; the event still lands', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });
    const counter = await RequestCounter.start(
      /TableEndpoint=(http:\/\/[^/;]+)/.exec(harness.env.TABLES_CONNECTION_STRING!)![1]!,
    );
    try {
      process.env.TABLES_CONNECTION_STRING = counter.connectionString(harness.env.TABLES_CONNECTION_STRING!);
      // A warm instance (its tables known to exist), then a table service that does not answer in time.
      expect((await post(notification('not-ours', 'missed'))).status).toBe(202);
      counter.hold();

      const answer = await post(notification(id, 'subscriptionRemoved'));

      expect(answer).toMatchObject({
        status: 503,
        jsonBody: { success: false, error: 'The notifications could not all be recorded; send them again.' },
      });
      expect(harness.messages('warning')).toContainEqual(
        expect.stringContaining(`not all recorded within ${RECORD_WITHIN_MS} ms`),
      );
      counter.release();
      await settled();
      expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    } finally {
      await counter.stop();
    }
  }, 30_000);
});
