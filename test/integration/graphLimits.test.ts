import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom } from '../support/fixtures';
import type { Harness } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

/** `perMailbox` due subscriptions in each of `mailboxes` mailboxes, stored in batches. */
async function storeMailboxes(h: Harness, mailboxes: number, perMailbox: number): Promise<string[]> {
  const expiresAt = hoursFrom(new Date(), 6);
  const rows = [];
  for (let m = 0; m < mailboxes; m++) {
    for (let s = 0; s < perMailbox; s++) {
      const id = `m${m}-s${s}`;
      const resource = `users/user-${m}/mailFolders('Inbox')/messages`;
      h.graph.add({ id, resource, expirationDateTime: expiresAt });
      rows.push({ partitionKey: `user-${m}`, rowKey: id, resource, expirationDateTime: expiresAt });
    }
  }
  for (let m = 0; m < mailboxes; m++) {
    await h.subscriptionsTable.submitTransaction(
      rows.filter((r) => r.partitionKey === `user-${m}`).map((row) => ['create', row]),
    );
  }
  return rows.map((r) => r.rowKey);
}

describe("renewing at Graph's limits", () => {
  it('keeps at most 4 requests in flight per mailbox, while other mailboxes go on', async () => {
    harness.graph.limits = { mailboxConcurrency: 4 };
    harness.graph.latencyMs = 50;
    await storeMailboxes(harness, 3, 10);

    await run();

    expect(harness.graph.throttled).toBe(0);
    expect(harness.graph.peakMailboxInFlight).toBe(4);
    expect(harness.graph.peakInFlight).toBeGreaterThan(4);
    expect((await harness.runs())[0]).toMatchObject({ renewed: 30, failed: 0, outcome: 'succeeded' });
  });

  it("stays under Graph's write ceiling: no 429 when the limit is known", async () => {
    Object.assign(process.env, { GRAPH_WRITES_PER_WINDOW: '20', GRAPH_WRITE_WINDOW_SECONDS: '0.5' });
    harness.graph.limits = { writesPerWindow: 20, windowMs: 500 };
    await storeMailboxes(harness, 60, 1);

    await run();

    expect(harness.graph.throttled).toBe(0);
    expect((await harness.runs())[0]).toMatchObject({ renewed: 60, failed: 0 });
  });

  it('slows down and still renews everything when Graph throttles anyway (a lower limit than configured)', async () => {
    Object.assign(process.env, {
      GRAPH_WRITES_PER_WINDOW: '60',
      GRAPH_WRITE_WINDOW_SECONDS: '0.5',
      GRAPH_MAX_ATTEMPTS: '10',
    });
    harness.graph.limits = { writesPerWindow: 20, windowMs: 500 };
    await storeMailboxes(harness, 80, 1);

    await run();

    expect(harness.graph.throttled).toBeGreaterThan(0);
    // Halving on each 429 keeps the throttled share small: far fewer 429s than renewals.
    expect(harness.graph.throttled).toBeLessThan(40);
    expect((await harness.runs())[0]).toMatchObject({ renewed: 80, failed: 0 });
  });
});
