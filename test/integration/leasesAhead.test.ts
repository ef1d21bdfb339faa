import { describe, expect, it } from 'vitest';
import { recordPoisonedRenewal } from '../../src/functions/recordPoisonedRenewal';
import { renewQueuedSubscription } from '../../src/functions/renewQueuedSubscription';
import { LeasesAhead } from '../../src/renewal/lease';
import type { StoredSubscription } from '../../src/renewal/subscription';
import { SubscriptionTable } from '../../src/storage/subscriptionTable';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

async function stored(count: number): Promise<{ table: SubscriptionTable; rows: StoredSubscription[] }> {
  for (let i = 0; i < count; i++)
    await storeSubscription(harness, { id: `s${i}`, expiresAt: hoursFrom(new Date(), 5) });
  const table = new SubscriptionTable(harness.subscriptionsTable);
  const rows: StoredSubscription[] = [];
  for await (const page of table.pages()) for (const row of page) if (row.ok) rows.push(row.subscription);
  return { table, rows };
}

describe('leasing a run’s rows ahead', () => {
  it('leases a partition’s waiting rows in one go, and the renewal can use each as leased', async () => {
    const { table, rows } = await stored(5);
    const leases = new LeasesAhead(
      table,
      rows,
      60_000,
      () => new Date(),
      () => true,
    );

    const first = await leases.take(rows[0]!);

    expect(first.leased).toBe(true);
    for (const row of rows) expect((await harness.row(row.id)).leaseUntil).toBeInstanceOf(Date);
    // The lease's own ETag: a renewal saves over it without a conflict.
    expect(await table.saveRenewal(first.row, hoursFrom(new Date(), 70), new Date(), false)).toBe('saved');
  });

  it('leaves to the renewal a row whose chunk changed meanwhile', async () => {
    const { table, rows } = await stored(3);
    // Someone renews one of them after the run read it: the chunk is refused as a whole.
    await harness.subscriptionsTable.updateEntity(
      { partitionKey: 'default', rowKey: 's1', lastRenewedAt: new Date() },
      'Merge',
    );
    const leases = new LeasesAhead(
      table,
      rows,
      60_000,
      () => new Date(),
      () => true,
    );

    expect(await leases.take(rows[0]!)).toEqual({ row: rows[0], leased: false });
    expect((await harness.row('s0')).leaseUntil).toBeUndefined();
  });

  it('gives back the leases of rows the run never started', async () => {
    const { table, rows } = await stored(4);
    const started = new Set([rows[0]!]);
    const leases = new LeasesAhead(
      table,
      rows,
      60_000,
      () => new Date(),
      (row) => !started.has(row),
    );
    await leases.take(rows[0]!);

    await leases.releaseUnstarted();

    for (const row of rows.slice(1)) expect((await harness.row(row.id)).leaseUntil).toBe('');
    expect((await harness.row(rows[0]!.id)).leaseUntil).toBeInstanceOf(Date);
  });

  it('gives back every unstarted lease even when a row changed meanwhile, so the queue can renew it', async () => {
    const { table, rows } = await stored(4);
    const started = new Set([rows[0]!]);
    const leases = new LeasesAhead(
      table,
      rows,
      10 * 60_000,
      () => new Date(),
      (row) => !started.has(row),
    );
    await leases.take(rows[0]!);
    // A lifecycle notification is recorded on an unstarted row while the run holds the chunk.
    await table.recordMissed(rows[3]!, new Date());

    await leases.releaseUnstarted();

    for (const id of ['s1', 's2', 's3']) expect((await harness.row(id)).leaseUntil).toBe('');
    await renewQueuedSubscription(
      { partitionKey: 'default', rowKey: 's1', runId: 'r' },
      harness.context('renewQueuedSubscription'),
    );
    expect(harness.graph.patches('s1')).toHaveLength(1);
  });

  it('takes a half-spent lease again even when the row changed meanwhile: its own lease does not bar the run', async () => {
    const { table, rows } = await stored(2);
    let now = Date.now();
    const leases = new LeasesAhead(
      table,
      rows,
      60_000,
      () => new Date(now),
      () => true,
    );
    await leases.take(rows[0]!);
    await table.recordMissed(rows[1]!, new Date());

    now += 40_000;
    const late = await leases.take(rows[1]!);

    expect(late.leased).toBe(true);
    expect(late.row.leaseUntil!.getTime()).toBe(now + 60_000);
    expect(await table.saveRenewal(late.row, hoursFrom(new Date(), 70), new Date(), false)).toBe('saved');
  });
});

describe('a queued renewal', () => {
  it('comes back later, rather than being dropped, when another worker holds the row', async () => {
    const { table, rows } = await stored(1);
    await table.claim(rows[0]!, new Date(Date.now() + 10 * 60_000), () => true);
    await expect(
      renewQueuedSubscription(
        { partitionKey: 'default', rowKey: 's0', runId: 'r' },
        harness.context('renewQueuedSubscription'),
      ),
    ).rejects.toThrow(/being renewed by another worker; the queue will look again/);
  });

  it('given up leaves alone a lease another worker holds', async () => {
    const { table, rows } = await stored(1);
    await table.claim(rows[0]!, new Date(Date.now() + 10 * 60_000), () => true);
    await recordPoisonedRenewal(
      { partitionKey: 'default', rowKey: 's0', runId: 'r' },
      harness.context('recordPoisonedRenewal'),
    );
    expect((await harness.row('s0')).leaseUntil).toBeInstanceOf(Date);
  });
});
