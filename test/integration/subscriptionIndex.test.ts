import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idPartition, SubscriptionIndex } from '../../src/storage/subscriptionIndex';
import { SubscriptionTable } from '../../src/storage/subscriptionTable';
import { hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import { RequestCounter } from '../support/requestCounter';
import { useHarness } from '../support/useHarness';

// Finding a subscription by its id (a lifecycle notification, remove, renew one): point reads.
const harness = useHarness();
let counter: RequestCounter;
let table: SubscriptionTable;
beforeAll(async () => {
  counter = await RequestCounter.start(
    /TableEndpoint=(http:\/\/[^/;]+)/.exec(harness.env.TABLES_CONNECTION_STRING!)![1]!,
  );
  const client = (name: string) =>
    TableClient.fromConnectionString(counter.connectionString(harness.env.TABLES_CONNECTION_STRING!), name, {
      allowInsecureConnection: true,
    });
  table = new SubscriptionTable(
    client(harness.env.SUBSCRIPTIONS_TABLE!),
    undefined,
    new SubscriptionIndex(client(harness.env.SUBSCRIPTION_INDEX_TABLE!)),
  );
});
afterAll(() => counter.stop());

const definition = { resource: INBOX, changeType: 'created', notificationUrl: 'https://consumer.example/n' };

describe('looking a subscription up by its id', () => {
  it('reads its index entry, then its row: two point reads, whatever the number of partitions', async () => {
    await table.insert(
      'mailbox-7',
      definition,
      { id: 'registered', expirationDateTime: hoursFrom(new Date(), 60) },
      new Date(),
      false,
    );
    counter.reset();

    expect(await table.find('registered')).toMatchObject({ id: 'registered', partitionKey: 'mailbox-7' });
    expect(counter.total()).toBe(2);
  });

  it('finds a row written by hand with one scan, and writes its entry for next time', async () => {
    await storeSubscription(harness, {
      id: 'typed-by-hand',
      expiresAt: hoursFrom(new Date(), 60),
      partitionKey: 'elsewhere',
    });

    expect(await table.find('typed-by-hand')).toMatchObject({ partitionKey: 'elsewhere' });
    expect(await harness.indexTable.getEntity(idPartition('typed-by-hand'), 'typed-by-hand')).toMatchObject({
      subscriptionPartition: 'elsewhere',
    });
    counter.reset();
    await table.find('typed-by-hand');
    expect(counter.total()).toBe(2);
  });

  it('reads an entry whose row has gone as not found, and removes it', async () => {
    await table.insert(
      'default',
      definition,
      { id: 'removed-by-hand', expirationDateTime: hoursFrom(new Date(), 60) },
      new Date(),
      false,
    );
    await harness.subscriptionsTable.deleteEntity('default', 'removed-by-hand');

    expect(await table.find('removed-by-hand')).toBeUndefined();
    await expect(harness.indexTable.getEntity(idPartition('removed-by-hand'), 'removed-by-hand')).rejects.toMatchObject(
      { statusCode: 404 },
    );
  });

  it('removes the entry and the problems after the row, on remove', async () => {
    await table.insert(
      'default',
      definition,
      { id: 'to-remove', expirationDateTime: hoursFrom(new Date(), 60) },
      new Date(),
      false,
    );
    const row = (await table.find('to-remove'))!;
    await table.recordFailure(row, { at: new Date(), statusCode: 503, code: 'ServiceUnavailable', message: 'x' });

    await table.remove((await table.find('to-remove'))!);

    const left: unknown[] = [];
    for await (const entity of harness.indexTable.listEntities()) left.push(entity);
    expect(left).toEqual([]);
  });
});
