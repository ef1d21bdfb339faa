import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { Harness } from '../support/harness';
import { HOUR, hoursFrom, INBOX, MINUTE, storeSubscription } from '../support/fixtures';

let harness: Harness;
beforeAll(async () => {
  harness = await Harness.start();
});
afterAll(async () => harness.stop());
beforeEach(async () => harness.reset());

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

describe('the renewal timer', () => {
  it('renews a subscription that would expire before the next check plus the margin, within Graph maximum', async () => {
    const now = new Date();
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(now, 6) });

    await run();

    const onGraph = harness.graph.subscriptions.get(id)!.expirationDateTime.getTime();
    expect(onGraph).toBeGreaterThan(now.getTime() + 70 * HOUR);
    expect(onGraph).toBeLessThanOrEqual(Date.now() + 4230 * MINUTE);
    const row = await harness.row(id);
    expect((row.expirationDateTime as Date).getTime()).toBe(onGraph);
    expect(row.consecutiveFailures).toBe(0);
    expect(harness.messages('information')).toContain('Checking for expiring webhooks...');
    expect(harness.messages('information')).toContain('Found 1 webhook(s) to renew');
    expect(harness.messages().some((m) => m.startsWith('Webhook renewed successfully. New expiration: '))).toBe(true);
  });

  it('leaves alone a subscription that outlives the next check plus the margin', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 24 * 40), resource: 'users' });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(harness.messages().some((m) => m.startsWith('No webhooks need renewal (all 1 valid beyond '))).toBe(true);
  });
});
