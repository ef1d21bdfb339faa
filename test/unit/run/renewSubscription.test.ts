import { beforeEach, describe, expect, it } from 'vitest';
import { beyondMaximum, throttled, unavailable } from '../../support/fakes/graphAnswers';
import { renewSubscription } from '../../support/fakes/underTest';
import { hoursFromNow, LIFECYCLE_URL, MINUTE, NOTIFICATION_URL, World } from './world';

let world: World;
beforeEach(() => {
  world = new World();
});

const renew = (id: string) => renewSubscription(world.store.current(id)!, 'run-1', world.context(), 'renew');

describe('renewing one subscription', () => {
  it('renews an Outlook subscription that would expire before the next check, for the wanted 72 hours', async () => {
    world.outlook('inbox', 5);

    expect(await renew('inbox')).toBe('renewed');

    expect(world.onGraph('inbox')).toEqual(hoursFromNow(72));
    expect(world.store.current('inbox')).toMatchObject({
      expirationDateTime: hoursFromNow(72),
      lastRenewedAt: hoursFromNow(0),
      leaseUntil: undefined,
      consecutiveFailures: 0,
    });
    expect(world.log.events('subscriptionRenewed')).toEqual([
      expect.objectContaining({ subscriptionId: 'inbox', newExpiration: hoursFromNow(72).toISOString() }),
    ]);
  });

  it('holds the row leased while it talks to Graph, and stops its Graph work a minute before the lease ends', async () => {
    world.outlook('inbox', 5);
    const leasedDuringPatch: (Date | undefined)[] = [];
    world.graph.inFlight = (call) => {
      if (call.method === 'renew') leasedDuringPatch.push(world.store.current(call.id!)?.leaseUntil);
    };

    expect(await renew('inbox')).toBe('renewed');

    // Leased for the 20 minutes the context gives a lease, while the PATCH was under way; released after.
    expect(leasedDuringPatch).toEqual([new Date(world.time + 20 * MINUTE)]);
    expect(world.store.current('inbox')!.leaseUntil).toBeUndefined();
    const [call] = world.graph.callsOf('renew', 'inbox');
    expect(call!.deadline).toEqual(new Date(world.time + 20 * MINUTE - MINUTE));
  });

  it('leaves a subscription alone while another worker holds its lease', async () => {
    world.outlook('inbox', 5, { row: { leaseUntil: new Date(world.time + 5 * MINUTE) } });

    expect(await renew('inbox')).toBe('skipped');

    expect(world.graph.callsOf('renew')).toEqual([]);
    expect(world.log.events('subscriptionSkipped')).toEqual([
      expect.objectContaining({ leaseUntil: new Date(world.time + 5 * MINUTE).toISOString() }),
    ]);
  });

  it('recreates a subscription Graph no longer has (404) from its stored definition', async () => {
    world.outlook('lost', 5, { onGraph: false });

    expect(await renew('lost')).toBe('recreated');

    const [successor] = [...world.graph.subscriptions.values()];
    expect(successor).toMatchObject({
      notificationUrl: NOTIFICATION_URL,
      lifecycleNotificationUrl: LIFECYCLE_URL,
      clientState: 'unit-client-state',
    });
    expect(world.store.current('lost')).toBeUndefined();
    expect(world.store.current(successor!.id)).toMatchObject({
      replaces: 'lost',
      expirationDateTime: successor!.expirationDateTime,
      state: 'active',
    });
    expect(world.log.events().map((event) => event.event)).toEqual(['subscriptionGone', 'subscriptionRecreated']);
  });

  it("records a refused renewal on the row and leaves the row's expiration and definition as they were", async () => {
    const before = world.outlook('busy', 5);
    world.graph.failNext('renew', () => throttled(2, world.now()), { id: 'busy' });

    expect(await renew('busy')).toBe('failed');

    const after = world.store.current('busy')!;
    expect(after).toMatchObject({
      expirationDateTime: before.expirationDateTime,
      resource: before.resource,
      notificationUrl: before.notificationUrl,
      lifecycleNotificationUrl: before.lifecycleNotificationUrl,
      state: 'active',
      consecutiveFailures: 1,
      lastFailure: { statusCode: 429, code: 'TooManyRequests', at: world.now() },
      leaseUntil: undefined,
    });
    expect(world.onGraph('busy')).toEqual(before.expirationDateTime);
    expect(world.log.events('renewalFailed')).toEqual([
      expect.objectContaining({ statusCode: 429, requestId: expect.any(String) }),
    ]);
  });

  it('counts failures run after run, and clears them once a renewal succeeds (503 twice, then OK)', async () => {
    world.outlook('flaky', 5);
    world.graph.failNext('renew', () => unavailable(world.now()), { id: 'flaky', times: 2 });

    expect(await renew('flaky')).toBe('failed');
    expect(await renew('flaky')).toBe('failed');
    expect(world.store.current('flaky')!.consecutiveFailures).toBe(2);
    expect(await renew('flaky')).toBe('renewed');

    expect(world.store.current('flaky')).toMatchObject({
      consecutiveFailures: 0,
      expirationDateTime: hoursFromNow(72),
    });
  });

  it('asks again within the maximum Graph states, from its clock, and learns it for every later renewal', async () => {
    // Microsoft lowered Outlook's maximum to 48 hours; Graph's clock is two minutes behind ours.
    world.graph.maximumOverride = (resource) => (resource.includes('/messages') ? 2880 : undefined);
    world.graph.clock = () => new Date(world.time - 2 * MINUTE);
    world.outlook('inbox', 5);
    world.outlook('other', 5);

    expect(await renew('inbox')).toBe('renewed');

    const graphNow = world.time - 2 * MINUTE;
    expect(world.graph.callsOf('renew', 'inbox').map((call) => call.expiration)).toEqual([
      hoursFromNow(72),
      new Date(graphNow + (2880 - 10) * MINUTE),
    ]);
    expect(world.learntMaxima.saved.get('outlook')).toMatchObject({
      maxMinutes: 2880,
      configuredMinutes: 10080,
      subscriptionId: 'inbox',
    });
    expect(world.log.events().map((event) => event.event)).toEqual([
      'graphMaximumLower',
      'graphMaximumLearnt',
      'subscriptionRenewed',
    ]);

    expect(await renew('other')).toBe('renewed');
    expect(world.graph.callsOf('renew', 'other')).toHaveLength(1);
  });

  it('learns nothing when the maximum Graph states is the one the rules already hold it to (its clock is behind)', async () => {
    world.outlook('inbox', 5);
    world.graph.failNext('renew', () => beyondMaximum(10080, world.now()), { id: 'inbox' });

    expect(await renew('inbox')).toBe('renewed');

    expect(world.learntMaxima.saved.size).toBe(0);
  });
});
