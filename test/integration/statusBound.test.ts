import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { health } from '../../src/functions/health';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { RequestCounter } from '../support/requestCounter';
import { useHarness } from '../support/useHarness';

// The status, the health answer and the census's readers must cost the same at any size: counted
// in table requests (never timed), at 50 rows and at 5,000.
const harness = useHarness();
let counter: RequestCounter;
beforeAll(async () => {
  counter = await RequestCounter.start(
    /TableEndpoint=(http:\/\/[^/;]+)/.exec(harness.env.TABLES_CONNECTION_STRING!)![1]!,
  );
});
afterAll(() => counter.stop());

async function seed(count: number, from = 0): Promise<void> {
  const far = hoursFrom(new Date(), 24 * 10);
  const byPartition = new Map<string, Record<string, unknown>[]>();
  for (let i = from; i < from + count; i++) {
    const partitionKey = `p${Math.floor(i / 100)}`;
    // As this version writes them (the census would otherwise index them first: a one-time cost).
    const row = {
      partitionKey,
      rowKey: `row-${i}`,
      resource: INBOX,
      expirationDateTime: far,
      changeType: 'created',
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      idIndexed: true,
    };
    byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), row]);
  }
  // A transaction holds at most 100 rows, all of one partition.
  await Promise.all(
    [...byPartition.values()].map((rows) =>
      harness.subscriptionsTable.submitTransaction(
        rows.map((row) => ['create', row as { partitionKey: string; rowKey: string }]),
      ),
    ),
  );
}

/** Requests one call makes, once the census is stored (the steady state: the census timer runs). */
async function requestsOf(call: () => Promise<unknown>): Promise<number> {
  await call(); // a warm instance: its tables are known to exist
  counter.reset();
  await call();
  return counter.total();
}

const status = async () =>
  harness.answered(await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus'))) as StatusAnswer;
const check = async () =>
  harness.answered(
    await health(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/webhooks/health' }),
      harness.context('health'),
    ),
  );

describe('the status at any size', () => {
  it('makes the same number of table requests, at most 10, with 50 rows as with 5,000', async () => {
    process.env.TABLES_CONNECTION_STRING = counter.connectionString(harness.env.TABLES_CONNECTION_STRING!);
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6), row: { consecutiveFailures: 1 } });
    await seed(49);
    await harness.runCensus();
    const small = { status: await requestsOf(status), health: await requestsOf(check) };

    await seed(4950, 49);
    await harness.runCensus();
    const large = { status: await requestsOf(status), health: await requestsOf(check) };

    expect((await status()).jsonBody.subscriptions).toMatchObject({ total: 5000, failing: 1 });
    expect(large).toEqual(small);
    expect(small.status).toBeLessThanOrEqual(10);
  }, 120_000);
});
