import { describe, expect } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import { scenario } from '../support/reliability/invariants';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

describe('Graph faults', () => {
  scenario('graph', 'a connection reset on the first attempt: renewed on the next', harness, async ({ arranged }) => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6) });
    await arranged();
    harness.graph.inject({ method: 'PATCH', subscriptionId: id, reset: true, times: 1 });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(2);
    expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(Date.now() + 70 * HOUR);
  });
});
