import { describe, expect, it } from 'vitest';
import {
  adoptSubscriptions,
  registerSubscription,
  renewSubscriptionsNow,
  updateSubscription,
  updateSubscriptions,
} from '../../src/functions/subscriptionOperations';
import { hoursFrom, MINUTE, storeSubscription } from '../support/fixtures';
import { callOperation } from '../support/operationCall';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const call = (...args: Parameters<typeof callOperation> extends [unknown, ...infer Rest] ? Rest : never) =>
  callOperation(harness, ...args);
const register = (body: Record<string, unknown>) => call(registerSubscription, 'POST', 'webhooks/subscriptions', body);
const minutesAhead = (date: Date) => Math.round((date.getTime() - Date.now()) / MINUTE);

const HUB =
  'EventHub:https://evh-graph-dev.servicebus.windows.net/eventhubname/graphevents?tenantId=contoso.onmicrosoft.com';
const VAULT_HUB = 'EventHub:https://kv-graph.vault.azure.net/secrets/hubconnection?tenantId=contoso.onmicrosoft.com';
const GRID =
  'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg-graph&partnertopic=graph-users&location=westeurope';
const CERTIFICATE = {
  encryptionCertificate: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
  encryptionCertificateId: 'key-2026-12',
};

describe("registering under Graph's current rules", () => {
  it('asks an Outlook subscription with resource data for 1,430 minutes, not the 4,220 Graph refuses, and hands it to the 10-minute timer', async () => {
    const answer = await register({ resource: 'users/8d3e/messages', includeResourceData: true, ...CERTIFICATE });

    expect(answer.status).toBe(201);
    const created = harness.graph.subscriptions.get(answer.jsonBody.subscription.id)!;
    expect(minutesAhead(created.expirationDateTime)).toBe(1430);
    expect(created).toMatchObject({ includeResourceData: true, ...CERTIFICATE });
    expect(answer.jsonBody.subscription).toMatchObject({ shortLived: true });
    expect(await harness.row(created.id)).toMatchObject({
      includeResourceData: true,
      ...CERTIFICATE,
      shortLived: true,
    });
  });

  it('refuses resource data without both certificate fields, before asking Graph', async () => {
    const answer = await register({
      resource: 'users/8d3e/messages',
      includeResourceData: true,
      encryptionCertificate: CERTIFICATE.encryptionCertificate,
    });
    expect(answer).toMatchObject({
      status: 400,
      jsonBody: {
        error: expect.stringMatching(/includeResourceData needs encryptionCertificate .* and encryptionCertificateId/),
      },
    });
    expect(harness.graph.requests).toEqual([]);
  });

  it('registers a Teams subscription without a lifecycle URL within the hour Graph allows it, and says how to get three days', async () => {
    delete process.env.WEBHOOK_LIFECYCLE_URL;
    const answer = await register({ resource: 'chats/getAllMessages' });

    expect(answer.status).toBe(201);
    expect(minutesAhead(harness.graph.subscriptions.get(answer.jsonBody.subscription.id)!.expirationDateTime)).toBe(50);
    expect(answer.jsonBody.warnings).toContainEqual(
      expect.stringMatching(
        /^Registered for at most 60 minutes, not 4320: it has no lifecycleNotificationUrl.*register it again with a lifecycleNotificationUrl/,
      ),
    );
  });

  it('gives a Teams chat with a lifecycle URL its 3 days less the margin', async () => {
    const answer = await register({ resource: 'chats/19:meeting_abc@thread.v2/messages' });
    expect(minutesAhead(harness.graph.subscriptions.get(answer.jsonBody.subscription.id)!.expirationDateTime)).toBe(
      4310,
    );
    expect(answer.jsonBody.subscription).toMatchObject({ shortLived: false });
  });

  it('offers adopt when Graph already has one for this resource and changeType (409)', async () => {
    const first = await register({ resource: 'users/8d3e/events' });
    await harness.subscriptionsTable.deleteEntity('default', first.jsonBody.subscription.id);

    const second = await register({ resource: 'users/8d3e/events' });

    expect(second.status).toBe(409);
    expect(second.jsonBody.error).toBe(
      `Graph already has subscription ${first.jsonBody.subscription.id} for this resource and changeType (it refuses a second one): run adopt to store it, or remove it first.`,
    );
    const adopted = await call(adoptSubscriptions, 'POST', 'webhooks/subscriptions/adopt');
    expect(adopted.jsonBody.adopted).toEqual([expect.objectContaining({ id: first.jsonBody.subscription.id })]);
  });
});

describe('every delivery channel', () => {
  it.each([
    ['an Event Hub by role-based access', HUB],
    ['an Event Hub through a Key Vault secret', VAULT_HUB],
    ['an Event Grid partner topic', GRID],
  ])('registers with %s: no validation request, stored as given', async (_kind, url) => {
    const answer = await register({
      resource: 'users',
      changeType: 'updated',
      notificationUrl: url,
      lifecycleNotificationUrl: url,
    });

    expect(answer.status).toBe(201);
    expect(harness.graph.deliveries).toEqual([]);
    expect(await harness.row(answer.jsonBody.subscription.id)).toMatchObject({
      notificationUrl: url,
      lifecycleNotificationUrl: url,
    });
    expect(answer.jsonBody.warnings).toContainEqual(
      expect.stringMatching(/^Lifecycle notifications go to Event Hubs or Event Grid, not to this app/),
    );
  });

  it('refuses an Event Grid subscription on a resource Graph lets live under the 3 hours Event Grid wants, before asking Graph', async () => {
    const answer = await register({ resource: 'communications/presences/8d3e', notificationUrl: GRID });
    expect(answer).toMatchObject({
      status: 400,
      jsonBody: {
        error: expect.stringMatching(
          /cannot be kept alive: Graph allows at most 60 minutes .* Event Grid wants every renewal at least 3 hours ahead/,
        ),
      },
    });
    expect(harness.graph.requests).toEqual([]);
  });

  it('refuses a malformed address with the template it should follow', async () => {
    const answer = await register({
      resource: 'users',
      notificationUrl: 'EventHub:https://evh-graph.servicebus.windows.net/graphevents?tenantId=contoso.com',
    });
    expect(answer).toMatchObject({
      status: 400,
      jsonBody: {
        error: expect.stringMatching(
          /^notificationUrl names an Event Hubs namespace but not an event hub in it .*\/eventhubname\/<event hub>/,
        ),
      },
    });
  });

  it('renews an Event Grid subscription at least 3 hours ahead, a short-lived one too', async () => {
    const id = await storeSubscription(harness, {
      resource: 'teams/5a1b/schedule/shifts',
      expiresAt: new Date(Date.now() + 30 * MINUTE),
      row: { notificationUrl: GRID },
    });
    harness.graph.subscriptions.get(id)!.notificationUrl = GRID;

    await harness.runShortTimer();

    expect(harness.graph.patches(id)).toHaveLength(1);
    expect(minutesAhead(harness.graph.subscriptions.get(id)!.expirationDateTime)).toBe(350);
    expect(harness.graph.violations).toEqual([]);
  });
});

describe("Graph's 409 when a lost subscription is created again", () => {
  const lost = async (notificationUrl?: string) => {
    const id = await storeSubscription(harness, {
      resource: 'users/8d3e/events',
      expiresAt: hoursFrom(new Date(), 20),
      onGraph: false,
      row: { state: 'expired' },
    });
    // What an attempt made and could not record, and that Graph's list does not show yet: only the 409 names it.
    const orphan = harness.graph.add({
      id: '7f1d2c3b-0a9e-4d5f-8c7b-6a5e4d3c2b1a',
      resource: 'users/8d3e/events',
      expirationDateTime: hoursFrom(new Date(), 2),
      notificationUrl: notificationUrl ?? harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
    });
    return { id, orphan };
  };

  it('adopts the subscription Graph names when it is the one the row describes, renewing it, with no second one', async () => {
    const { id, orphan } = await lost();

    await harness.runTimer();

    expect(harness.graph.subscriptions.size).toBe(1);
    expect(await harness.row(orphan.id)).toMatchObject({ replaces: id, state: 'active' });
    expect(minutesAhead(orphan.expirationDateTime)).toBeGreaterThan(70 * 60);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringMatching(/adopted the one an interrupted attempt had created/),
    );
  });

  it('leaves alone one that only shares the resource (another notification URL), and says the creation was refused', async () => {
    const { id } = await lost('https://localhost:1/someone-else');

    await harness.runTimer();

    expect(await harness.row(id)).toMatchObject({ state: 'expired', lastErrorStatus: 409 });
    expect(harness.graph.subscriptions.get('7f1d2c3b-0a9e-4d5f-8c7b-6a5e4d3c2b1a')!.notificationUrl).toBe(
      'https://localhost:1/someone-else',
    );
  });
});

describe('a maximum Graph states when it refuses a registration', () => {
  it('is asked within at once, and learnt', async () => {
    harness.graph.maximumOverride = (resource) => (/events/i.test(resource) ? 4230 : undefined);

    const answer = await register({ resource: 'users/8d3e/events' });

    expect(answer.status).toBe(201);
    expect(minutesAhead(harness.graph.subscriptions.get(answer.jsonBody.subscription.id)!.expirationDateTime)).toBe(
      4220,
    );
    expect(await harness.runs('learntmaximum')).toEqual([
      expect.objectContaining({ key: 'outlook', maxMinutes: 4230 }),
    ]);
  });
});

describe('the whole definition', () => {
  const full = {
    resource: 'print/printers/0f1e2d3c/jobs',
    changeType: 'updated',
    notificationUrl: HUB,
    notificationQueryOptions: '$filter=isFetchable eq true',
    notificationUrlAppId: '6a1f9c1e-3b7e-4d5e-9b8e-1c2d3e4f5a6b',
    blobStoreUrl: 'https://stgraph.blob.core.windows.net/payloads',
    latestSupportedTlsVersion: 'v1_3',
  };

  it('is sent to Graph, stored, and sent again when Graph loses the subscription', async () => {
    const answer = await register(full);
    const id = answer.jsonBody.subscription.id as string;
    const { resource: _resource, ...rest } = full;
    expect(harness.graph.subscriptions.get(id)).toMatchObject(rest);
    expect(await harness.row(id)).toMatchObject(rest);

    harness.graph.subscriptions.delete(id);
    await call(renewSubscriptionsNow, 'POST', 'webhooks/subscriptions/renew', { force: true });

    const [successor] = [...harness.graph.subscriptions.values()];
    expect(successor).toMatchObject(rest);
    expect((await harness.row(successor!.id)).replaces).toBe(id);
  });

  it('is read back from what Graph returns when a subscription is adopted', async () => {
    harness.graph.add({ id: 'on-graph', expirationDateTime: hoursFrom(new Date(), 20), ...full });
    await call(adoptSubscriptions, 'POST', 'webhooks/subscriptions/adopt');
    const { resource: _resource, ...rest } = full;
    expect(await harness.row('on-graph')).toMatchObject(rest);
  });

  it.each([
    [{ notificationUrlAppId: 'my-app' }, /notificationUrlAppId must be the application \(client\) id/],
    [
      { blobStoreUrl: 'http://stgraph.blob.core.windows.net/payloads' },
      /blobStoreUrl must be the https URL of a blob container/,
    ],
  ])('refuses %j, saying what it takes', async (bad, message) => {
    expect((await register({ ...full, ...bad })).jsonBody.error).toMatch(message);
  });
});

describe('update', () => {
  it("moves a subscription's notificationUrl on Graph and in its row, renewing it at the same time", async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 30) });
    const moved = `${harness.host.notificationUrl}?endpoint=v2`;

    const answer = await call(
      updateSubscription,
      'PATCH',
      `webhooks/subscriptions/${id}`,
      { notificationUrl: moved },
      { id },
    );

    expect(answer.status).toBe(200);
    expect(answer.jsonBody).toMatchObject({
      success: true,
      updated: [expect.objectContaining({ id, notificationUrl: moved })],
      failed: [],
    });
    expect(harness.graph.subscriptions.get(id)!.notificationUrl).toBe(moved);
    // Graph validated the new endpoint first, as for a creation.
    expect(harness.graph.deliveries.map((delivery) => delivery.url)).toEqual([moved]);
    const row = await harness.row(id);
    expect(row).toMatchObject({ notificationUrl: moved, leaseUntil: '' });
    expect((row.expirationDateTime as Date).getTime()).toBe(
      harness.graph.subscriptions.get(id)!.expirationDateTime.getTime(),
    );
  });

  it('rotates the encryption certificate of every subscription of a partition', async () => {
    const ids = await Promise.all(
      ['a', 'b'].map((user) =>
        storeSubscription(harness, {
          resource: `users/${user}/messages`,
          partitionKey: 'rich',
          expiresAt: hoursFrom(new Date(), 10),
          row: { includeResourceData: true },
        }),
      ),
    );
    await storeSubscription(harness, { resource: 'users/c/messages', expiresAt: hoursFrom(new Date(), 10) });

    const answer = await call(updateSubscriptions, 'PATCH', 'webhooks/subscriptions?partitionKey=rich', CERTIFICATE);

    expect(answer.jsonBody.updated.map((view: { id: string }) => view.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await harness.row(id, 'rich')).toMatchObject(CERTIFICATE);
    expect(harness.graph.patches()).toHaveLength(2);
  });

  it('keeps the row as it was when Graph refuses the new URL', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 30) });
    const before = await harness.row(id);
    harness.host.consumer = 'wrong-token';

    const answer = await call(
      updateSubscription,
      'PATCH',
      `webhooks/subscriptions/${id}`,
      { notificationUrl: `${harness.host.notificationUrl}?v=2` },
      { id },
    );

    expect(answer.status).toBe(502);
    expect(answer.jsonBody.failed).toEqual([
      {
        id,
        status: 502,
        error: expect.stringMatching(/^Graph refused the update \(status 400, ValidationError\).*The row is unchanged/),
      },
    ]);
    const after = await harness.row(id);
    expect({ ...after, etag: undefined, timestamp: undefined }).toMatchObject({
      ...before,
      etag: undefined,
      timestamp: undefined,
      leaseUntil: '',
    });
  });

  it('recreates at once, with the new URL, a subscription Graph lost, even one not due for days', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 60), onGraph: false });
    const moved = `${harness.host.notificationUrl}?endpoint=v2`;

    const answer = await call(
      updateSubscription,
      'PATCH',
      `webhooks/subscriptions/${id}`,
      { notificationUrl: moved },
      { id },
    );

    expect(answer.jsonBody).toMatchObject({ success: true, recreated: [id] });
    const [successor] = [...harness.graph.subscriptions.values()];
    expect(successor).toMatchObject({ notificationUrl: moved });
    expect((await harness.row(successor!.id)).replaces).toBe(id);
  });

  it('refuses to move a subscription to a channel no timer could keep it alive on', async () => {
    const id = await storeSubscription(harness, {
      resource: 'communications/presences/abc',
      expiresAt: new Date(Date.now() + 40 * MINUTE),
    });
    const answer = await call(
      updateSubscription,
      'PATCH',
      `webhooks/subscriptions/${id}`,
      { notificationUrl: GRID },
      { id },
    );
    expect(answer.status).toBe(400);
    expect(answer.jsonBody.failed[0].error).toMatch(
      /could not be kept alive there: .*Event Grid wants every renewal at least 3 hours ahead/,
    );
    expect(harness.graph.patches(id)).toHaveLength(0);
  });

  it.each([
    [{}, /Nothing to update/],
    [{ encryptionCertificate: 'MIIB' }, /go together/],
    [{ resource: 'users' }, /Unknown field\(s\): resource/],
    [{ notificationUrl: 'http://plain.example/hook' }, /notificationUrl must be an https URL/],
  ])('refuses %j with 400', async (body, message) => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 30) });
    const answer = await call(updateSubscription, 'PATCH', `webhooks/subscriptions/${id}`, body, { id });
    expect(answer).toMatchObject({ status: 400, jsonBody: { error: expect.stringMatching(message) } });
  });

  it('needs a partition to update several', async () => {
    const answer = await call(updateSubscriptions, 'PATCH', 'webhooks/subscriptions', { notificationUrl: HUB });
    expect(answer).toMatchObject({
      status: 400,
      jsonBody: { error: expect.stringMatching(/^partitionKey is missing/) },
    });
  });
});
