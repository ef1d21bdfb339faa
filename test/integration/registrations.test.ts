import { app } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';

// What the Functions host will see: the registrations each function file makes when it loads.
const timer = vi.spyOn(app, 'timer').mockImplementation(() => undefined);
const http = vi.spyOn(app, 'http').mockImplementation(() => undefined);

describe('function registrations', () => {
  it('registers the daily timer at 09:00, persisted so a missed run happens late, never on start-up', async () => {
    const { renewSubscriptions } = await import('../../src/functions/renewSubscriptions');
    expect(timer).toHaveBeenCalledWith('renewSubscriptions', {
      schedule: '0 0 9 * * *',
      useMonitor: true,
      runOnStartup: false,
      handler: renewSubscriptions,
    });
  });

  it('registers the status endpoint at the seed’s path, behind a function key, for GET only', async () => {
    const { schedulerStatus } = await import('../../src/functions/schedulerStatus');
    expect(http).toHaveBeenCalledWith('schedulerStatus', {
      route: 'webhooks/scheduler/status',
      methods: ['GET'],
      authLevel: 'function',
      handler: schedulerStatus,
    });
  });

  it('registers the lifecycle endpoint for Graph: POST only, anonymous (the client state is the check)', async () => {
    const { lifecycleNotifications } = await import('../../src/functions/lifecycleNotifications');
    expect(http).toHaveBeenCalledWith('lifecycleNotifications', {
      route: 'webhooks/lifecycle',
      methods: ['POST'],
      authLevel: 'anonymous',
      handler: lifecycleNotifications,
    });
  });

  it('registers every operation behind a function key', async () => {
    const operations = await import('../../src/functions/subscriptionOperations');
    const expected = [
      ['registerSubscription', 'webhooks/subscriptions', 'POST', operations.registerSubscription],
      ['listSubscriptions', 'webhooks/subscriptions', 'GET', operations.listSubscriptions],
      ['adoptSubscriptions', 'webhooks/subscriptions/adopt', 'POST', operations.adoptSubscriptions],
      ['renewSubscriptionsNow', 'webhooks/subscriptions/renew', 'POST', operations.renewSubscriptionsNow],
      ['removeSubscription', 'webhooks/subscriptions/{id}', 'DELETE', operations.removeSubscription],
    ] as const;
    for (const [name, route, method, handler] of expected) {
      expect(http).toHaveBeenCalledWith(name, { route, methods: [method], authLevel: 'function', handler });
    }
    // Only the lifecycle endpoint is anonymous: Graph cannot send a function key.
    const anonymous = http.mock.calls.filter(([, options]) => options.authLevel !== 'function').map(([name]) => name);
    expect(anonymous).toEqual(['lifecycleNotifications']);
  });

  it('uses the one schedule constant the status computes the next run from', async () => {
    const { RENEWAL_SCHEDULE } = await import('../../src/renewal/policy/schedule');
    expect(timer.mock.calls[0]?.[1]).toMatchObject({ schedule: RENEWAL_SCHEDULE });
  });
});
