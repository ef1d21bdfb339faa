import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import {
  adoptSubscriptions,
  listSubscriptions,
  registerSubscription,
  removeSubscription,
  renewSubscriptionsNow,
} from '../../src/functions/subscriptionOperations';
import { HOUR, hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import { callOperation } from '../support/operationCall';
import { useHarness } from '../support/useHarness';

const USER = '8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11';
const harness = useHarness({ GRAPH_USER_ID: USER });

const call = (...args: Parameters<typeof callOperation> extends [unknown, ...infer Rest] ? Rest : never) =>
  callOperation(harness, ...args);

describe('register', () => {
  it('creates the seed’s subscription from the settings alone: new mail in GRAPH_USER_ID’s Inbox', async () => {
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions');

    expect(answer.status).toBe(201);
    const [created] = [...harness.graph.subscriptions.values()];
    expect(created).toMatchObject({
      resource: `users/${USER}/mailFolders('Inbox')/messages`,
      changeType: 'created',
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      clientState: harness.env.WEBHOOK_CLIENT_STATE,
    });
    // Graph validated both endpoints before creating it.
    expect(harness.graph.deliveries.map((d) => [d.url, d.status])).toEqual([
      [harness.env.WEBHOOK_NOTIFICATION_URL, 200],
      [harness.env.WEBHOOK_LIFECYCLE_URL, 200],
    ]);
    expect(answer.jsonBody).toMatchObject({
      success: true,
      warnings: [],
      subscription: { id: created!.id, state: 'active', partitionKey: 'default' },
    });
    expect(await harness.row(created!.id)).toMatchObject({
      resource: created!.resource,
      changeType: 'created',
      expirationDateTime: created!.expirationDateTime,
    });
    // RENEWAL_LIFETIME_HOURS (72), within Outlook's 10,080 minutes, as every renewal.
    expect(created!.expirationDateTime.getTime()).toBeLessThanOrEqual(Date.now() + 72 * 3_600_000);
  });

  it('takes the resource, change types and partition it is given', async () => {
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions', {
      resource: '/users/someone@contoso.example/events',
      changeType: 'created,updated',
      partitionKey: 'calendars',
      latestSupportedTlsVersion: 'v1_2',
    });
    expect(answer.status).toBe(201);
    expect(answer.jsonBody.subscription).toMatchObject({
      resource: 'users/someone@contoso.example/events',
      changeType: 'created,updated',
      partitionKey: 'calendars',
    });
  });

  it.each([
    [{ changeType: 'read' }, /changeType "read" is not valid/],
    [{ notificationUrl: 'http://plain.example/hook' }, /notificationUrl must be an https URL/],
    [{ clientState: 'mine' }, /clientState is not accepted here/],
    [{ colour: 'blue' }, /Unknown field\(s\): colour/],
    [{ includeResourceData: true }, /includeResourceData needs encryptionCertificate/],
    [{ partitionKey: 'a/b' }, /partitionKey must be/],
    ['[1,', /not valid JSON/],
  ])('refuses %j with 400 and says what is wrong', async (body, message) => {
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions', body);
    expect(answer.status).toBe(400);
    expect(answer.jsonBody.error).toMatch(message);
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('says why Graph refused, and stores nothing, when the notification URL fails validation', async () => {
    harness.host.consumer = 'refuses';
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions');
    expect(answer.status).toBe(502);
    expect(answer.jsonBody.error).toMatch(
      /^Graph could not create the subscription \(status 400, ValidationError\): Subscription validation request failed/,
    );
    expect((await call(listSubscriptions, 'GET', 'webhooks/subscriptions')).jsonBody.subscriptions).toEqual([]);
  });

  it('says Graph may have created it when no answer came, so a retry does not make two', async () => {
    process.env.GRAPH_TIMEOUT_SECONDS = '1';
    harness.graph.inject({ method: 'POST', delayMs: 1500, completeAnyway: true, times: 1 });
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions');
    expect(answer).toMatchObject({
      status: 502,
      jsonBody: {
        error: expect.stringContaining('Graph may have created it anyway: run adopt before registering again'),
      },
    });
  });

  it('needs GRAPH_USER_ID or a resource', async () => {
    delete process.env.GRAPH_USER_ID;
    const answer = await call(registerSubscription, 'POST', 'webhooks/subscriptions');
    expect(answer).toMatchObject({ status: 400, jsonBody: { error: expect.stringContaining('set GRAPH_USER_ID') } });
  });
});

describe('adopt', () => {
  it('stores what Graph has and the table does not, page after page, and reports rows Graph lost', async () => {
    harness.graph.pageSize = 2;
    const known = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    const lost = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 20), onGraph: false });
    const unknown = ['u1', 'u2', 'u3'].map((id) =>
      harness.graph.add({
        id,
        resource: INBOX,
        expirationDateTime: hoursFrom(new Date(), 30),
        changeType: 'created,updated',
        lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      }),
    );

    const answer = await call(adoptSubscriptions, 'POST', 'webhooks/subscriptions/adopt?missing=true');

    expect(answer.status).toBe(200);
    expect(answer.jsonBody.adopted.map((s: { id: string }) => s.id).sort()).toEqual(['u1', 'u2', 'u3']);
    expect(answer.jsonBody).toMatchObject({ alreadyStored: 1, missingOnGraph: [{ id: lost, resource: INBOX }] });
    expect(await harness.row('u2')).toMatchObject({
      changeType: 'created,updated',
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      expirationDateTime: unknown[1]!.expirationDateTime,
    });
    // Four subscriptions, two a page: the second page came from @odata.nextLink.
    expect(harness.graph.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
    expect(await harness.row(known)).toMatchObject({ rowKey: known });

    // Adopting again changes nothing.
    expect((await call(adoptSubscriptions, 'POST', 'webhooks/subscriptions/adopt')).jsonBody).toMatchObject({
      adopted: [],
      alreadyStored: 4,
    });
  });
});

describe('adopt after an interrupted recreation', () => {
  it('puts the subscription the recreation made in the old row’s place, so no second one is created', async () => {
    const old = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -1),
      onGraph: false,
      row: { state: 'expired', recreateStartedAt: hoursFrom(new Date(), -0.2) },
    });
    const made = harness.graph.add({
      id: 'made-by-the-interrupted-attempt',
      resource: INBOX,
      expirationDateTime: hoursFrom(new Date(), 60),
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
    });

    const answer = await call(adoptSubscriptions, 'POST', 'webhooks/subscriptions/adopt');

    expect(answer.jsonBody).toMatchObject({
      adopted: [],
      recovered: [{ id: made.id, replaces: old }],
      missingOnGraph: null,
    });
    expect(await harness.row(made.id)).toMatchObject({ replaces: old, state: 'active' });
    await expect(harness.row(old)).rejects.toMatchObject({ statusCode: 404 });

    // The next run has nothing to recreate.
    await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(harness.graph.subscriptions.size).toBe(1);
  });

  it('refuses a partition key the table would refuse, with 400', async () => {
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost:7071/api/webhooks/subscriptions/adopt?partitionKey=a%2Fb',
    });
    const answer = harness.answered(await adoptSubscriptions(request, harness.context('operations')));
    expect(answer).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(/^partitionKey must be/) } });
  });
});

describe('list and remove', () => {
  it('lists every row, malformed ones apart', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    await storeSubscription(harness, {
      id: 'broken',
      expiresAt: hoursFrom(new Date(), 40),
      row: { expirationDateTime: 'tomorrow' },
    });
    const answer = await call(listSubscriptions, 'GET', 'webhooks/subscriptions');
    expect(answer.jsonBody.subscriptions).toEqual([
      expect.objectContaining({ id, resource: INBOX, state: 'active', lastError: null }),
    ]);
    expect(answer.jsonBody.malformed).toEqual([
      expect.objectContaining({
        rowKey: 'broken',
        problem: expect.stringContaining('expirationDateTime is not a date'),
      }),
    ]);
  });

  it('deletes on Graph, then the row', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    const answer = await call(removeSubscription, 'DELETE', `webhooks/subscriptions/${id}`, undefined, { id });
    expect(answer.jsonBody).toMatchObject({ success: true, onGraph: 'deleted', row: 'deleted' });
    expect(harness.graph.subscriptions.has(id)).toBe(false);
    await expect(harness.row(id)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('still removes the row when Graph no longer has the subscription, and says 404 when neither has it', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40), onGraph: false });
    expect(
      (await call(removeSubscription, 'DELETE', `webhooks/subscriptions/${id}`, undefined, { id })).jsonBody,
    ).toMatchObject({ onGraph: 'notFound', row: 'deleted' });
    expect((await call(removeSubscription, 'DELETE', `webhooks/subscriptions/${id}`, undefined, { id })).status).toBe(
      404,
    );
  });

  it('waits for a run that holds the row, with 409', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), 40),
      row: { leaseUntil: hoursFrom(new Date(), 0.2) },
    });
    const answer = await call(removeSubscription, 'DELETE', `webhooks/subscriptions/${id}`, undefined, { id });
    expect(answer).toMatchObject({
      status: 409,
      jsonBody: { error: expect.stringContaining('is being renewed or recreated right now') },
    });
    expect(harness.graph.subscriptions.has(id)).toBe(true);
  });

  it('keeps the row when Graph refuses the deletion', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    harness.graph.inject({ method: 'DELETE', status: 403, times: 1, message: 'Insufficient privileges.' });
    const answer = await call(removeSubscription, 'DELETE', `webhooks/subscriptions/${id}`, undefined, { id });
    expect(answer).toMatchObject({ status: 502, jsonBody: { error: expect.stringContaining('status 403') } });
    // The row stays, and its lease is given back so the next run can renew it.
    expect(await harness.row(id)).toMatchObject({ rowKey: id, leaseUntil: '' });
  });
});

describe('renew now', () => {
  it('renews one subscription even when it is not due, with force', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 60) });
    const other = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 60) });

    const answer = await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { id, force: true });

    expect(answer.status).toBe(200);
    expect(answer.jsonBody.run).toMatchObject({ outcome: 'succeeded', renewed: 1, checked: 1 });
    expect(harness.graph.patches(id)).toHaveLength(1);
    expect(harness.graph.patches(other)).toHaveLength(0);
    expect((await harness.runs())[0]).toMatchObject({ trigger: 'manual' });
  });

  it('renews only what is due without force, and everything with it', async () => {
    const due = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    const later = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 60) });
    expect((await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew')).jsonBody.run).toMatchObject({
      renewed: 1,
    });
    expect(harness.graph.patches(later)).toHaveLength(0);
    expect(
      (await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { force: true })).jsonBody.run,
    ).toMatchObject({ renewed: 2 });
    expect(harness.graph.patches(due)).toHaveLength(2);
  });

  it('answers 404 for an id it does not store, 400 for a malformed request', async () => {
    expect((await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { id: 'nope' })).status).toBe(
      404,
    );
    expect((await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { force: 'yes' })).status).toBe(
      400,
    );
    expect(
      (await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { id: 'x', all: true })).status,
    ).toBe(400);
  });

  it('and the timer at the same time renew each subscription once, and lose no write', async () => {
    const ids = await Promise.all(
      [2, 3, 4, 5].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(new Date(), h) })),
    );
    harness.graph.latencyMs = 25;

    await Promise.all([
      renewSubscriptions(harness.timer(), harness.context('renewSubscriptions')),
      call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { force: true }),
    ]);

    for (const id of ids) {
      expect(harness.graph.patches(id)).toHaveLength(1);
      expect((await harness.row(id)).expirationDateTime).toEqual(
        harness.graph.subscriptions.get(id)!.expirationDateTime,
      );
    }
    const runs = await harness.runs();
    expect(runs.reduce((sum, r) => sum + (r.renewed as number), 0)).toBe(4);
    expect(runs.every((r) => r.outcome === 'succeeded')).toBe(true);
    expect(Date.now() - (runs[0]!.startedAt as Date).getTime()).toBeLessThan(HOUR);
  });
});

describe('list, a page at a time', () => {
  const list = (query = '') => call(listSubscriptions, 'GET', `webhooks/subscriptions${query}`);

  it('answers one page of at most ?limit= rows and the continuation for the next', async () => {
    for (let i = 0; i < 5; i++) await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 10 + i) });

    const first = await list('?limit=3');
    const next = await list(`?limit=3&continuation=${encodeURIComponent(first.jsonBody.continuation)}`);

    expect(first.jsonBody.subscriptions).toHaveLength(3);
    expect(next.jsonBody).toMatchObject({ continuation: null });
    expect(next.jsonBody.subscriptions).toHaveLength(2);
  });

  it('filters by partition, state, expiration and failures', async () => {
    const soon = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5), partitionKey: 'a' });
    const failing = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), 60),
      partitionKey: 'a',
      row: { consecutiveFailures: 2 },
    });
    const expired = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -5),
      partitionKey: 'b',
      row: { state: 'expired' },
    });
    const ids = async (query: string) =>
      (await list(query)).jsonBody.subscriptions.map((s: { id: string }) => s.id).sort();

    expect(await ids('?partitionKey=a')).toEqual([soon, failing].sort());
    expect(await ids('?state=expired')).toEqual([expired]);
    expect(await ids('?state=active&expiringWithinHours=24')).toEqual([soon]);
    expect(await ids('?failing=true')).toEqual([failing]);
  });

  it.each([
    ['?limit=0', /^limit must be a whole number from 1 to 1000, e\.g\. \?limit=100/],
    ['?state=gone', /^state must be active or expired, e\.g\. \?state=expired/],
    ['?expiringWithinHours=-3', /^expiringWithinHours must be a number of hours/],
    ['?failing=yes', /^failing must be true or false/],
    ['?continuation=not-a-token', /^continuation is not a token a list answer gave/],
    ['?colour=blue', /^Unknown parameter colour: the list takes limit, continuation/],
    ['?limit=1&limit=2', /^limit is given 2 times/],
  ])('refuses %s with 400, naming the parameter and giving an example', async (query, message) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(answer.jsonBody.error).toMatch(message);
  });
});
