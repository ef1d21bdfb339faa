import { describe, expect, it } from 'vitest';
import { HOUR, INBOX, MINUTE } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// The emulator is what every other test trusts to behave like Graph: its rules get tests of their own.
const harness = useHarness();

async function token(): Promise<string> {
  const { identity, graph } = harness;
  const url = `${identity.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(graph.baseUrl)}&client_id=${identity.clientId}`;
  const response = await fetch(url, { headers: { 'x-identity-header': identity.header } });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function graph(method: string, path: string, body?: unknown, bearer?: string | null) {
  const auth: Record<string, string> = bearer === null ? {} : { Authorization: `Bearer ${bearer ?? (await token())}` };
  const response = await fetch(`${harness.graph.baseUrl}/v1.0${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...auth },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * MINUTE).toISOString();
let mailbox = 0;
// A mailbox of its own each time: Graph refuses a second subscription for the same resource and changeType.
const subscription = (minutes: number, resource = `users/user-${++mailbox}/mailFolders('Inbox')/messages`) => ({
  changeType: 'created',
  notificationUrl: harness.host.notificationUrl,
  resource,
  expirationDateTime: inMinutes(minutes),
  clientState: 'secret-client-state',
});

describe('the Graph emulator', () => {
  it('creates a subscription and never echoes its client state', async () => {
    const created = await graph('POST', '/subscriptions', subscription(60, INBOX));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ resource: INBOX, clientState: null });
    expect(created.headers.get('request-id')).toBeTruthy();
  });

  it("refuses an Outlook expiration past 10,080 minutes with Graph's error shape", async () => {
    const refused = await graph('POST', '/subscriptions', subscription(10081));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'ExtensionError',
      message: 'Subscription expiration can only be 10080 minutes in the future.',
      innerError: { 'request-id': expect.any(String), date: expect.any(String) },
    });
  });

  it('allows Outlook with resource data 1,440 minutes, and only with both certificate fields', async () => {
    const rich = {
      ...subscription(1440),
      includeResourceData: true,
      encryptionCertificate: 'MIIB',
      encryptionCertificateId: 'key-1',
    };
    expect(
      (await graph('POST', '/subscriptions', { ...rich, expirationDateTime: inMinutes(1441) })).body.error.message,
    ).toBe('Subscription expiration can only be 1440 minutes in the future.');
    const { encryptionCertificateId: _id, ...withoutId } = rich;
    expect((await graph('POST', '/subscriptions', withoutId)).body.error.message).toMatch(
      /encryptionCertificate and encryptionCertificateId are required/,
    );
    expect((await graph('POST', '/subscriptions', rich)).status).toBe(201);
  });

  it('sets an expiration under 45 minutes away to 45 minutes, as Graph does', async () => {
    const created = await graph('POST', '/subscriptions', subscription(5));
    expect(Date.parse(created.body.expirationDateTime) - Date.now()).toBeGreaterThan(44 * MINUTE);
  });

  it("refuses a Teams subscription beyond an hour without a lifecycle URL, with Graph's words", async () => {
    const teams = { ...subscription(120, 'chats/getAllMessages') };
    expect((await graph('POST', '/subscriptions', teams)).body.error.message).toMatch(
      /^lifecycleNotificationUrl is a required property for subscription creation/,
    );
    expect(
      (await graph('POST', '/subscriptions', { ...teams, lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL }))
        .status,
    ).toBe(201);
    expect((await graph('POST', '/subscriptions', { ...subscription(50, 'chats/19:x/messages') })).status).toBe(201);
  });

  it('refuses a second subscription for the same resource and changeType with 409, naming the first', async () => {
    const first = await graph('POST', '/subscriptions', subscription(60, INBOX));
    const second = await graph('POST', '/subscriptions', {
      ...subscription(60, `/${INBOX}`),
      notificationUrl: harness.host.notificationUrl,
    });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toBe(
      `Subscription Id ${first.body.id} already exists for the requested combination`,
    );
    expect((await graph('POST', '/subscriptions', { ...subscription(60, INBOX), changeType: 'updated' })).status).toBe(
      201,
    );
  });

  it('delivers to Event Hubs and Event Grid without a validation request', async () => {
    const hub = 'EventHub:https://evh-graph.servicebus.windows.net/eventhubname/graphevents?tenantId=contoso.com';
    const grid =
      'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg&partnertopic=graph&location=westeurope';
    expect(
      (
        await graph('POST', '/subscriptions', {
          ...subscription(600),
          notificationUrl: hub,
          lifecycleNotificationUrl: hub,
        })
      ).status,
    ).toBe(201);
    expect(
      (await graph('POST', '/subscriptions', { ...subscription(600, 'users'), notificationUrl: grid })).status,
    ).toBe(201);
    expect(harness.graph.deliveries).toEqual([]);
    expect(
      (
        await graph('POST', '/subscriptions', {
          ...subscription(600),
          notificationUrl: 'EventGrid:?location=westeurope',
        })
      ).status,
    ).toBe(400);
  });

  it('notes an Event Grid subscription renewed to less than 3 hours ahead', async () => {
    const grid =
      'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg&partnertopic=graph&location=westeurope';
    const created = await graph('POST', '/subscriptions', { ...subscription(600, 'users'), notificationUrl: grid });
    expect(harness.graph.violations).toEqual([]);
    await graph('PATCH', `/subscriptions/${created.body.id}`, { expirationDateTime: inMinutes(120) });
    expect(harness.graph.violations).toEqual([expect.stringMatching(/less than 3 hours ahead/)]);
  });

  it('moves a subscription to a new notification URL with PATCH, once the new one validates', async () => {
    const created = await graph('POST', '/subscriptions', subscription(600));
    harness.host.consumer = 'wrong-token';
    expect(
      (
        await graph('PATCH', `/subscriptions/${created.body.id}`, {
          notificationUrl: `${harness.host.notificationUrl}?v=2`,
        })
      ).status,
    ).toBe(400);
    harness.host.consumer = 'valid';
    const moved = await graph('PATCH', `/subscriptions/${created.body.id}`, {
      notificationUrl: `${harness.host.notificationUrl}?v=2`,
    });
    expect(moved.body).toMatchObject({
      notificationUrl: `${harness.host.notificationUrl}?v=2`,
      expirationDateTime: created.body.expirationDateTime,
    });
  });

  it('answers 404 ResourceNotFound for an expired, deleted or unknown subscription', async () => {
    const expired = harness.graph.add({
      id: 'expired',
      resource: INBOX,
      expirationDateTime: new Date(Date.now() - HOUR),
    });
    expect(
      (await graph('PATCH', `/subscriptions/${expired.id}`, { expirationDateTime: inMinutes(60) })).body.error.code,
    ).toBe('ResourceNotFound');
    const created = await graph('POST', '/subscriptions', subscription(60));
    expect((await graph('DELETE', `/subscriptions/${created.body.id}`)).status).toBe(204);
    expect((await graph('GET', `/subscriptions/${created.body.id}`)).status).toBe(404);
    expect((await graph('GET', '/subscriptions/unknown')).status).toBe(404);
  });

  it('pages the list with an absolute https @odata.nextLink', async () => {
    harness.graph.pageSize = 2;
    for (let i = 0; i < 5; i++) expect((await graph('POST', '/subscriptions', subscription(60))).status).toBe(201);
    const first = await graph('GET', '/subscriptions');
    expect(first.body.value).toHaveLength(2);
    expect(first.body['@odata.nextLink']).toMatch(/^https:\/\/localhost:\d+\/v1\.0\/subscriptions\?\$skiptoken=2$/);
    const last = await graph('GET', '/subscriptions?$skiptoken=4');
    expect(last.body.value).toHaveLength(1);
    expect(last.body['@odata.nextLink']).toBeUndefined();
  });

  it('wants a bearer token from the identity endpoint, for its own audience', async () => {
    expect((await graph('GET', '/subscriptions', undefined, null)).body.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token is empty.',
    });
    expect((await graph('GET', '/subscriptions', undefined, 'forged')).status).toBe(401);
  });

  it('validates the notification URL before it creates anything, as Graph does', async () => {
    const created = await graph('POST', '/subscriptions', subscription(60));
    expect(created.status).toBe(201);
    const [validation] = harness.graph.deliveries;
    expect(validation).toMatchObject({ url: harness.host.notificationUrl, kind: 'validation', status: 200 });

    harness.host.consumer = 'wrong-token';
    const refused = await graph('POST', '/subscriptions', subscription(60));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^Subscription validation request failed/),
    });
    expect(harness.graph.subscriptions.size).toBe(1);
  });

  it('never sends a validation request off loopback', async () => {
    const refused = await graph('POST', '/subscriptions', {
      ...subscription(60),
      notificationUrl: 'https://contoso.example/api/notifications',
    });
    expect(refused.status).toBe(400);
    expect(harness.graph.deliveries).toEqual([expect.objectContaining({ status: 0 })]);
  });

  it('reauthorizes with 204, and notes a reauthorize and a PATCH within 10 minutes of each other', async () => {
    const created = await graph('POST', '/subscriptions', subscription(60));
    expect((await graph('POST', `/subscriptions/${created.body.id}/reauthorize`)).status).toBe(204);
    expect(harness.graph.violations).toEqual([]);
    await graph('PATCH', `/subscriptions/${created.body.id}`, { expirationDateTime: inMinutes(120) });
    expect(harness.graph.violations).toEqual([`PATCH of ${created.body.id} within 10 minutes of a reauthorize`]);
  });

  it('answers an injected 429 with its Retry-After', async () => {
    harness.graph.inject({ method: 'GET', status: 429, headers: { 'Retry-After': '7' }, times: 1 });
    const throttled = await graph('GET', '/subscriptions');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect((await graph('GET', '/subscriptions')).status).toBe(200);
  });
});

describe("the Graph emulator's throttling limits (off unless a test sets them)", () => {
  const patch = (id: string, bearer: string) =>
    graph('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(120) }, bearer);

  it('answers 429 with Retry-After to a fifth concurrent request for one mailbox, not to another mailbox', async () => {
    harness.graph.limits = { mailboxConcurrency: 4, concurrencyRetryAfterSeconds: 1 };
    harness.graph.latencyMs = 200;
    const other = "users/another-user/mailFolders('Inbox')/messages";
    const ids = ['a', 'b', 'c', 'd', 'e'].map(
      (id) => harness.graph.add({ id, resource: INBOX, expirationDateTime: new Date(Date.now() + HOUR) }).id,
    );
    harness.graph.add({ id: 'f', resource: other, expirationDateTime: new Date(Date.now() + HOUR) });
    const bearer = await token();

    const answers = await Promise.all([...ids, 'f'].map((id) => patch(id, bearer)));

    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]!.body.error.code).toBe('TooManyRequests');
    expect(throttled[0]!.headers.get('retry-after')).toBe('1');
    expect(answers.at(-1)!.status).toBe(200);
  });

  it('answers 429 to a write over the window, with the time until the window has room, and serves reads', async () => {
    harness.graph.limits = { writesPerWindow: 3, windowMs: 2000 };
    const ids = ['a', 'b', 'c', 'd'].map(
      (id) => harness.graph.add({ id, resource: INBOX, expirationDateTime: new Date(Date.now() + HOUR) }).id,
    );
    const bearer = await token();

    for (const id of ids.slice(0, 3)) expect((await patch(id, bearer)).status).toBe(200);
    const over = await patch(ids[3]!, bearer);

    expect(over.status).toBe(429);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2);
    expect((await graph('GET', `/subscriptions/${ids[3]}`, undefined, bearer)).status).toBe(200);
    expect(harness.graph.throttled).toBe(1);
  });

  it('answers 429 to a list over its own, lower limit, and still serves writes', async () => {
    harness.graph.limits = { listsPerWindow: 2, writesPerWindow: 500, windowMs: 2000 };
    const bearer = await token();
    expect((await graph('GET', '/subscriptions', undefined, bearer)).status).toBe(200);
    expect((await graph('GET', '/subscriptions', undefined, bearer)).status).toBe(200);
    expect((await graph('GET', '/subscriptions', undefined, bearer)).status).toBe(429);
    harness.graph.add({ id: 'a', resource: INBOX, expirationDateTime: new Date(Date.now() + HOUR) });
    expect((await patch('a', bearer)).status).toBe(200);
  });
});
