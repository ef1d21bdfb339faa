import { describe } from 'vitest';
import { InMemoryRenewalQueue } from '../support/fakes/inMemoryRenewalQueue';
import { realAdapters } from '../support/fakes/underTest';
import { useHarness } from '../support/useHarness';
import { describeRenewalHandOffContract, type HandOffUnderContract } from './renewalHandOff.contract';

describeRenewalHandOffContract('the in-memory fake', async (): Promise<HandOffUnderContract> => {
  const queue = new InMemoryRenewalQueue();
  return {
    handOff: queue,
    take: async () => queue.messages.splice(0),
    refusedId: (n) => {
      const id = `refused-${n}`;
      queue.refused.add(id);
      return id;
    },
  };
});

// The adapter as the app builds it (src/compositionRoot/services.ts, servicesFor): the renewal queue in
// the host's storage (AzureWebJobsStorage, RENEWAL_QUEUE), here the suite's Azurite queue service, a
// queue of the harness's own emptied before each test. Its messages are read as the queue trigger is
// handed them: base64, then JSON.
describe("on Azurite's queue service, built as the app builds it", () => {
  const harness = useHarness();
  describeRenewalHandOffContract('the queue adapter', async (): Promise<HandOffUnderContract> => {
    const { loadConfig, servicesFor } = await realAdapters();
    const handOff = servicesFor(loadConfig()).renewalQueue;
    if (!handOff) throw new Error('The harness settings name no renewal queue (AzureWebJobsStorage, RENEWAL_QUEUE).');
    return {
      handOff,
      take: async () => {
        const queue = harness.renewalQueue;
        if (!(await queue.exists())) return [];
        const taken: unknown[] = [];
        for (;;) {
          const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
          if (receivedMessageItems.length === 0) return taken;
          for (const item of receivedMessageItems) {
            taken.push(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
            await queue.deleteMessage(item.messageId, item.popReceipt);
          }
        }
      },
      // The queue takes messages of at most 64 KiB: this id's message, base64, is larger.
      refusedId: (n) => `refused-${n}-${'x'.repeat(60_000)}`,
    };
  });
});
