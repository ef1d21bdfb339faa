import { describe } from 'vitest';
import { InMemorySubscriptionStore } from '../support/fakes/inMemorySubscriptionStore';
import { realAdapters } from '../support/fakes/underTest';
import { useHarness } from '../support/useHarness';
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

// The adapter as the app builds it (src/compositionRoot/services.ts, servicesFor): the subscription table
// with its index, from the settings the harness points at the suite's Azurite (tables of the file's own,
// emptied before each test). The scene is set behind the store's back through a client of its own.
describe('on Azurite, built as the app builds it', () => {
  const harness = useHarness();
  describeSubscriptionStoreContract('the Table adapter', async (): Promise<StoreUnderContract> => {
    const { loadConfig, servicesFor } = await realAdapters();
    const store = servicesFor(loadConfig()).subscriptions;
    const client = harness.subscriptionsTable;
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
});
