import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterEach, inject } from 'vitest';
import { InMemorySubscriptionStore } from '../support/fakes/inMemorySubscriptionStore';
import { realAdapters } from '../support/fakes/underTest';
import { describeSubscriptionStoreContract, type StoreUnderContract } from './subscriptionStore.contract';

const INBOX = "users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages";

describeSubscriptionStoreContract('the in-memory fake', async (): Promise<StoreUnderContract> => {
  const store = new InMemorySubscriptionStore();
  return {
    store,
    seed: async (row) => store.put({ resource: INBOX, ...row }),
    seedMalformed: async (partitionKey, rowKey) =>
      store.putMalformed({ partitionKey, rowKey, problem: 'state "paused" is not "active" or "expired".' }),
    changeBehindOurBack: async (id, changes, partitionKey) => void store.changeBehindOurBack(id, changes, partitionKey),
    deleteBehindOurBack: async (id, partitionKey) => store.deleteBehindOurBack(id, partitionKey),
  };
});

// The adapter as the app builds it (src/compositionRoot.ts): the subscription table with its index, on
// the suite's Azurite; tables of their own for each test.
const made: TableClient[] = [];
afterEach(async () => {
  await Promise.allSettled(made.splice(0).map((client) => client.deleteTable()));
});
const newTable = async (prefix: string) => {
  const client = TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `${prefix}${randomBytes(4).toString('hex')}`,
    { allowInsecureConnection: true },
  );
  await client.createTable();
  made.push(client);
  return client;
};

describeSubscriptionStoreContract('the Table adapter on Azurite', async (): Promise<StoreUnderContract> => {
  const { SubscriptionIndex, SubscriptionTable } = await realAdapters();
  const client = await newTable('contract');
  const store = new SubscriptionTable(client, undefined, new SubscriptionIndex(await newTable('contractindex')));
  const readBack = async (partitionKey: string, id: string) => {
    const row = await store.read(partitionKey, id);
    if (!row?.ok) throw new Error(`Row ${partitionKey}/${id} could not be read back`);
    return row.subscription;
  };
  return {
    store,
    seed: async ({ id, partitionKey = 'default', ...fields }) => {
      await client.createEntity({ partitionKey, rowKey: id, resource: INBOX, ...fields });
      return readBack(partitionKey, id);
    },
    seedMalformed: async (partitionKey, rowKey) => {
      await client.createEntity({
        partitionKey,
        rowKey,
        resource: INBOX,
        expirationDateTime: new Date(),
        state: 'paused',
      });
    },
    changeBehindOurBack: async (id, changes, partitionKey = 'default') => {
      await client.updateEntity({ partitionKey, rowKey: id, ...changes }, 'Merge');
    },
    deleteBehindOurBack: async (id, partitionKey = 'default') => {
      await client.deleteEntity(partitionKey, id);
    },
  };
});
