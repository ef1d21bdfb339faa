import { describe, expect, it } from 'vitest';
import { LeasesAhead } from '../../src/renewal/leasesAhead';
import type { StoredSubscription } from '../../src/renewal/subscription';
import { SubscriptionTable } from '../../src/storage/subscriptionTable';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

async function stored(count: number): Promise<{ table: SubscriptionTable; rows: StoredSubscription[] }> {
  for (let i = 0; i < count; i++) await storeSubscription(harness, { id: `s${i}`, expiresAt: hoursFrom(new Date(), 5) });
  const table = new SubscriptionTable(harness.subscriptionsTable);
  const rows: StoredSubscription[] = [];
  for await (const page of table.pages()) for (const row of page) if (row.ok) rows.push(row.subscription);
  return { table, rows };
}

describe('leasing a run’s rows ahead', () => {
  it('leases a partition’s waiting rows in one go, and the renewal can use each as leased', async () => {
    const { table, rows } = await stored(5);
    const leases = new LeasesAhead(table, rows, 60_000, () => new Date(), () => true);

    const first = await leases.take(rows[0]!);

    expect(first.leased).toBe(true);
    for (const row of rows) expect((await harness.row(row.id)).leaseUntil).toBeInstanceOf(Date);
    // The lease's own ETag: a renewal saves over it without a conflict.
    expect(await table.saveRenewal(first.row, hoursFrom(new Date(), 70), new Date())).toBe('saved');
  });

  it('leaves to the renewal a row whose chunk changed meanwhile', async () => {
    const { table, rows } = await stored(3);
    // Someone renews one of them after the run read it: the chunk is refused as a whole.
    await harness.subscriptionsTable.updateEntity({ partitionKey: 'default', rowKey: 's1', lastRenewedAt: new Date() }, 'Merge');
    const leases = new LeasesAhead(table, rows, 60_000, () => new Date(), () => true);

    expect(await leases.take(rows[0]!)).toEqual({ row: rows[0], leased: false });
    expect((await harness.row('s0')).leaseUntil).toBeUndefined();
  });

  it('has the renewal lease again a row whose lease taken ahead is half spent, with the lease’s own ETag', async () => {
    const { table, rows } = await stored(2);
    let now = Date.now();
    const leases = new LeasesAhead(table, rows, 60_000, () => new Date(now), () => true);
    await leases.take(rows[0]!);

    now += 40_000;
    const late = await leases.take(rows[1]!);

    expect(late.leased).toBe(false);
    expect(late.row.leaseUntil).toBeUndefined();
    expect(await table.claim(late.row, new Date(now + 60_000), () => true)).toBeDefined();
  });

  it('gives back the leases of rows the run never started', async () => {
    const { table, rows } = await stored(4);
    const started = new Set([rows[0]!]);
    const leases = new LeasesAhead(table, rows, 60_000, () => new Date(), (row) => !started.has(row));
    await leases.take(rows[0]!);

    await leases.releaseUnstarted();

    for (const row of rows.slice(1)) expect((await harness.row(row.id)).leaseUntil).toBe('');
    expect((await harness.row(rows[0]!.id)).leaseUntil).toBeInstanceOf(Date);
  });
});
