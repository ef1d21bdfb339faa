import { afterEach, describe, expect, it, vi } from 'vitest';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { idPartition } from '../../src/storage/subscriptionIndex';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
afterEach(() => vi.useRealTimers());

const status = async (query = '') =>
  harness.answered(
    await schedulerStatus(harness.statusRequest(query), harness.context('schedulerStatus')),
  ) as StatusAnswer;

async function attentionEntries(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const entity of harness.indexTable.listEntities({
    queryOptions: { filter: "PartitionKey eq 'attention'" },
  }))
    rows.push(entity);
  return rows;
}

describe('the census', () => {
  it('records a problem typed by hand in Storage Explorer, so the status names it', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 30) });
    await harness.runCensus();
    await harness.subscriptionsTable.updateEntity(
      { partitionKey: 'default', rowKey: id, consecutiveFailures: 3 },
      'Merge',
    );

    await harness.runCensus();

    expect(await attentionEntries()).toEqual([
      expect.objectContaining({ kind: 'failing', subscriptionRowKey: id, consecutiveFailures: 3 }),
    ]);
    expect((await status()).jsonBody.problems).toContainEqual(
      expect.stringMatching(new RegExp(`^Subscription ${id} .*failed its last 3 renewal attempt\\(s\\)`)),
    );
  });

  it('clears a problem the rows no longer show (fixed by hand), and the status turns healthy', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), 30),
      row: { consecutiveFailures: 2 },
    });
    await harness.runCensus();
    expect(await attentionEntries()).toHaveLength(1);
    await harness.subscriptionsTable.updateEntity(
      { partitionKey: 'default', rowKey: id, consecutiveFailures: 0 },
      'Merge',
    );

    await harness.runCensus();

    expect(await attentionEntries()).toEqual([]);
  });

  it('writes the id entry of a row the index does not know, and marks the row', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 30), partitionKey: 'mailboxes' });

    await harness.runCensus();

    expect(await harness.indexTable.getEntity(idPartition(id), id)).toMatchObject({
      subscriptionPartition: 'mailboxes',
    });
    expect(await harness.row(id, 'mailboxes')).toMatchObject({ idIndexed: true });
  });

  it('stores the counts, the soonest expirations and the expirations hour by hour', async () => {
    const now = new Date();
    await storeSubscription(harness, { expiresAt: hoursFrom(now, 2.5) });
    await storeSubscription(harness, { expiresAt: hoursFrom(now, 2.6) });
    await storeSubscription(harness, { expiresAt: hoursFrom(now, 50) });
    await storeSubscription(harness, { expiresAt: hoursFrom(now, 24 * 20) });

    await harness.runCensus();
    const body = (await status()).jsonBody;

    expect(body.subscriptions).toMatchObject({ total: 4, active: 4 });
    expect(body.summary_computed_at).toEqual(expect.any(String));
    const counted = body.timeline.buckets
      .filter((bucket: { count: number }) => bucket.count > 0)
      .map((bucket: { count: number }) => bucket.count);
    expect(counted.reduce((a: number, b: number) => a + b, 0)).toBe(3);
    expect(body.timeline).toMatchObject({ hours: 72, bucket_minutes: 60, later: 1 });
  });

  it('is itself a problem once it is older than two of its intervals: the status never shows a stale healthy', async () => {
    await harness.runCensus();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() + HOUR));

    expect((await status()).jsonBody.problems).toContainEqual(
      expect.stringMatching(
        /^The census timer is not running: the counts and timeline were last taken at \S+, more than 30 minutes ago\./,
      ),
    );
  });

  it('names at once a subscription it saw coming whose expiration has passed since', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 0.1) });
    await harness.runCensus();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() + 0.2 * HOUR));

    const answer = await status();

    expect(answer.status).toBe(503);
    expect(answer.jsonBody.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(`^Subscription ${id} .*expired at .* and has not been recreated; each run tries again\\.$`),
      ),
    );
  });
});
