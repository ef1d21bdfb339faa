import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { unavailable } from '../../support/fakes/graphAnswers';
import { recreateSubscription } from '../../support/fakes/underTest';
import { hoursFromNow, LIFECYCLE_URL, NOTIFICATION_URL, World } from './world';

let world: World;
beforeEach(() => {
  world = new World();
});

const recreate = (id: string) => recreateSubscription(world.store.current(id)!, 'run-1', world.context());
const conflicting = (resource: string, notificationUrl = NOTIFICATION_URL) => {
  const id = randomUUID();
  world.graph.add({
    id,
    resource,
    changeType: 'created',
    notificationUrl,
    lifecycleNotificationUrl: LIFECYCLE_URL,
    expirationDateTime: hoursFromNow(2),
  });
  return id;
};

describe('recreating a subscription Graph lost', () => {
  it("creates it again with the whole stored definition and the client state, and puts its row in the old one's place", async () => {
    world.outlook('lost', -1, {
      onGraph: false,
      row: {
        state: 'expired',
        includeResourceData: true,
        encryptionCertificate: 'MIIBcert',
        encryptionCertificateId: 'key-1',
        latestSupportedTlsVersion: 'v1_3',
        notificationUrlAppId: 'app-1',
      },
    });

    expect(await recreate('lost')).toBe('recreated');

    const [created] = [...world.graph.subscriptions.values()];
    expect(created).toMatchObject({
      resource: "users/lost-owner/mailFolders('Inbox')/messages",
      changeType: 'created',
      notificationUrl: NOTIFICATION_URL,
      lifecycleNotificationUrl: LIFECYCLE_URL,
      includeResourceData: true,
      encryptionCertificate: 'MIIBcert',
      encryptionCertificateId: 'key-1',
      latestSupportedTlsVersion: 'v1_3',
      notificationUrlAppId: 'app-1',
      clientState: 'unit-client-state',
      // Outlook with resource data lives at most 1,440 minutes: asked within it, less the safety margin.
      expirationDateTime: new Date(world.time + (1440 - 10) * 60_000),
    });
    expect(world.store.current(created!.id)).toMatchObject({
      replaces: 'lost',
      recreatedAt: world.now(),
      includeResourceData: true,
      encryptionCertificateId: 'key-1',
    });
  });

  it('adopts the subscription a 409 names when it is the one the row describes', async () => {
    const row = world.outlook('lost', -1, { onGraph: false, row: { state: 'expired' } });
    const existing = conflicting(row.resource);

    expect(await recreate('lost')).toBe('recreated');

    expect(world.graph.subscriptions.size).toBe(1);
    expect(world.onGraph(existing)).toEqual(hoursFromNow(72));
    expect(world.store.current(existing)).toMatchObject({ replaces: 'lost', expirationDateTime: hoursFromNow(72) });
    expect(world.log.events('subscriptionRecreated')).toEqual([
      expect.objectContaining({ newSubscriptionId: existing, adopted: true }),
    ]);
  });

  it('does not adopt a subscription the 409 names with another notification URL, and keeps the row to try again', async () => {
    const row = world.outlook('lost', -1, { onGraph: false, row: { state: 'expired' } });
    const someoneElses = conflicting(row.resource, 'https://other.example/hook');

    expect(await recreate('lost')).toBe('expired');

    expect(world.onGraph(someoneElses)).toEqual(hoursFromNow(2));
    expect(world.store.current(someoneElses)).toBeUndefined();
    expect(world.store.current('lost')).toMatchObject({
      state: 'expired',
      notificationUrl: NOTIFICATION_URL,
      consecutiveFailures: 1,
      lastFailure: { statusCode: 409 },
      recreateStartedAt: undefined,
      leaseUntil: undefined,
    });
    expect(world.log.messages('error')[0]).toContain(`Graph already has subscription ${someoneElses}`);
  });

  it('keeps the in-progress mark when Graph may have created it (a 503), and adopts that one on the next attempt', async () => {
    world.outlook('lost', -1, { onGraph: false, row: { state: 'expired' } });
    // Graph made the subscription, and the answer was a 503.
    world.graph.failNext('create', () => {
      conflicting("users/lost-owner/mailFolders('Inbox')/messages");
      return unavailable(world.now());
    });

    expect(await recreate('lost')).toBe('expired');
    expect(world.store.current('lost')!.recreateStartedAt).toEqual(world.now());
    expect(await recreate('lost')).toBe('recreated');

    expect(world.graph.subscriptions.size).toBe(1);
    expect(world.graph.callsOf('create')).toHaveLength(1);
  });

  it('says the client state is missing rather than create a subscription without it', async () => {
    world.outlook('lost', -1, { onGraph: false, row: { state: 'expired' } });

    expect(
      await recreateSubscription(world.store.current('lost')!, 'run-1', { ...world.context(), clientState: undefined }),
    ).toBe('expired');

    expect(world.graph.callsOf('create')).toEqual([]);
    expect(world.store.current('lost')!.lastFailure).toMatchObject({
      code: 'ClientStateMissing',
      message: 'WEBHOOK_CLIENT_STATE is not set.',
    });
  });
});
