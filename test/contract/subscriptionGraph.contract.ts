import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GraphSubscription, NewSubscription, SubscriptionGraph } from '../../src/renewal/ports';

/** One side of the contract: the Graph port, and a hand that puts subscriptions on Graph behind its back. */
export interface GraphUnderContract {
  graph: SubscriptionGraph;
  /** A subscription Graph has, as if created earlier. */
  add(subscription: { id: string; resource: string; expirationDateTime: Date; notificationUrl: string }): void;
  /** A notification URL Graph validates (the real side's answers Graph's validation request). */
  notificationUrl: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let mailbox = 0;
// A mailbox of its own each time: Graph refuses a second subscription for the same resource and changeType.
const inbox = () => `users/contract-${process.pid}-${++mailbox}/mailFolders('Inbox')/messages`;
/** Whole seconds: Graph answers with whole seconds. */
const inHours = (hours: number) => new Date(Math.floor((Date.now() + hours * HOUR) / 1000) * 1000);

async function failureOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as Record<string, unknown> | undefined;
  expect(error, 'expected the call to fail').toBeDefined();
  const { name, statusCode, code, message, retryAfter, requestId, serverTime } = error!;
  return { name, statusCode, code, message, retryAfter, requestId, serverTime };
}

/**
 * What every SubscriptionGraph must do for the renewal run: run against the scripted fake and the real
 * adapter (src/graph/subscriptions.ts) talking to the HTTPS Graph emulator with the managed identity,
 * so that one can stand in for the other.
 */
export function describeSubscriptionGraphContract(name: string, make: () => Promise<GraphUnderContract>): void {
  describe(`the Graph subscriptions contract: ${name}`, () => {
    let side: GraphUnderContract;
    let graph: SubscriptionGraph;
    beforeEach(async () => {
      side = await make();
      graph = side.graph;
    });
    const definition = (): NewSubscription => ({
      resource: inbox(),
      changeType: 'created,updated',
      notificationUrl: side.notificationUrl,
      expirationDateTime: inHours(70),
      clientState: 'contract-client-state',
    });

    it('gets a token before any call (ready)', async () => {
      await expect(graph.ready()).resolves.toBeUndefined();
    });

    it('creates a subscription, and gets it back as Graph holds it, without its client state', async () => {
      const asked = definition();
      const created = await graph.create(asked);
      const expected: GraphSubscription = {
        id: expect.any(String) as string,
        resource: asked.resource,
        changeType: asked.changeType,
        notificationUrl: asked.notificationUrl,
        expirationDateTime: asked.expirationDateTime,
        // Graph's default, which it returns for every subscription.
        latestSupportedTlsVersion: 'v1_2',
      };

      expect(created).toEqual(expected);
      expect(await graph.get(created.id)).toEqual({ ...expected, id: created.id });
      expect(JSON.stringify(await graph.get(created.id))).not.toContain('contract-client-state');
    });

    it('lists the subscriptions it has', async () => {
      const created = await graph.create(definition());
      const listed: GraphSubscription[] = [];
      for await (const subscription of graph.list()) listed.push(subscription);
      expect(listed.map((subscription) => subscription.id)).toContain(created.id);
    });

    it('refuses a second subscription for the same resource and changeType with a 409 naming the first', async () => {
      const first = await graph.create(definition());
      const again = { ...definition(), resource: `/${first.resource}` };

      expect(await failureOf(graph.create(again))).toEqual({
        name: 'GraphRequestError',
        statusCode: 409,
        code: 'ExtensionError',
        message: `Subscription Id ${first.id} already exists for the requested combination`,
        retryAfter: undefined,
        requestId: expect.any(String),
        serverTime: expect.any(Date),
      });
    });

    it('sets an expiration under 45 minutes away to 45 minutes', async () => {
      const created = await graph.create({ ...definition(), expirationDateTime: new Date(Date.now() + 5 * MINUTE) });
      expect(created.expirationDateTime.getTime() - Date.now()).toBeGreaterThan(44 * MINUTE);
    });

    it('renews a subscription to the expiration asked for, and Graph holds it', async () => {
      const id = randomUUID();
      const [held, asked] = [inHours(5), inHours(70)];
      side.add({ id, resource: inbox(), expirationDateTime: held, notificationUrl: side.notificationUrl });

      expect(await graph.renew(id, asked)).toEqual({ expirationDateTime: asked });
      expect((await graph.get(id))!.expirationDateTime).toEqual(asked);
    });

    it('updates the notification URL and renews with it', async () => {
      const id = randomUUID();
      const asked = inHours(70);
      side.add({
        id,
        resource: inbox(),
        expirationDateTime: inHours(5),
        notificationUrl: 'https://contoso.example/old',
      });

      expect(await graph.update(id, { notificationUrl: side.notificationUrl }, asked)).toEqual({
        expirationDateTime: asked,
      });
      expect(await graph.get(id)).toMatchObject({ notificationUrl: side.notificationUrl, expirationDateTime: asked });
    });

    it("answers 404 for a subscription it does not have, in Graph's words", async () => {
      const unknown = randomUUID();

      expect(await failureOf(graph.renew(unknown, inHours(70)))).toEqual({
        name: 'GraphRequestError',
        statusCode: 404,
        code: 'ResourceNotFound',
        message: 'The object was not found.',
        retryAfter: undefined,
        requestId: expect.any(String),
        serverTime: expect.any(Date),
      });
      expect(await graph.get(unknown)).toBeUndefined();
      expect(await graph.remove(unknown)).toBe('notFound');
    });

    it('no longer has a subscription once it expired', async () => {
      const id = randomUUID();
      side.add({
        id,
        resource: inbox(),
        expirationDateTime: new Date(Date.now() - MINUTE),
        notificationUrl: side.notificationUrl,
      });

      expect(await graph.get(id)).toBeUndefined();
      expect(await failureOf(graph.renew(id, inHours(70)))).toMatchObject({ statusCode: 404 });
    });

    it('deletes a subscription', async () => {
      const created = await graph.create(definition());

      expect(await graph.remove(created.id)).toBe('deleted');
      expect(await graph.get(created.id)).toBeUndefined();
    });

    it('refuses an expiration beyond its maximum with a 400 stating the maximum, from its own clock, and changes nothing', async () => {
      const id = randomUUID();
      const held = inHours(5);
      side.add({ id, resource: inbox(), expirationDateTime: held, notificationUrl: side.notificationUrl });
      const before = Date.now();

      const refusal = await failureOf(graph.renew(id, new Date(Date.now() + 10_081 * MINUTE)));

      expect(refusal).toEqual({
        name: 'GraphRequestError',
        statusCode: 400,
        code: 'ExtensionError',
        message: 'Subscription expiration can only be 10080 minutes in the future.',
        retryAfter: undefined,
        requestId: expect.any(String),
        serverTime: expect.any(Date),
      });
      // Graph's Date header: whole seconds.
      const serverTime = (refusal.serverTime as Date).getTime();
      expect(serverTime % 1000).toBe(0);
      expect(serverTime).toBeGreaterThan(before - 2000);
      expect((await graph.get(id))!.expirationDateTime).toEqual(held);
    });
  });
}
