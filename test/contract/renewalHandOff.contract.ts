import { beforeEach, describe, expect, it } from 'vitest';
import type { RenewalHandOff } from '../../src/renewal/ports';

/** One side of the contract: the hand-off, and the hands that read its queue and make it refuse a message. */
export interface HandOffUnderContract {
  handOff: RenewalHandOff;
  /** Takes every message off the queue, each as the queue trigger is handed it (parsed JSON). */
  take(): Promise<unknown[]>;
  /** An id of a subscription whose message the queue refuses to take; `n` tells several apart. */
  refusedId(n: number): string;
}

const byKeys = (messages: unknown[]) =>
  [...(messages as { partitionKey: string; rowKey: string }[])].sort((a, b) =>
    `${a.partitionKey}/${a.rowKey}` < `${b.partitionKey}/${b.rowKey}` ? -1 : 1,
  );

/**
 * What every RenewalHandOff must do, for a run that runs out of time to hand the rest over the same way:
 * run against the in-memory fake and the real queue adapter on Azurite's queue service, so that one can
 * stand in for the other (test/unit/run/runRenewal.test.ts runs on the fake).
 */
export function describeRenewalHandOffContract(name: string, make: () => Promise<HandOffUnderContract>): void {
  describe(`the renewal hand-off contract: ${name}`, () => {
    let side: HandOffUnderContract;
    beforeEach(async () => {
      side = await make();
    });

    it('queues one message per subscription, naming its keys and the run and nothing else, and resolves with how many', async () => {
      const sent = await side.handOff.send(
        [
          { partitionKey: 'default', id: 'inbox' },
          { partitionKey: 'tenant-b', id: 'calendar' },
          { partitionKey: 'default', id: 'drive' },
        ],
        'run-1',
      );

      expect(sent).toBe(3);
      expect(byKeys(await side.take())).toEqual([
        { partitionKey: 'default', rowKey: 'drive', runId: 'run-1' },
        { partitionKey: 'default', rowKey: 'inbox', runId: 'run-1' },
        { partitionKey: 'tenant-b', rowKey: 'calendar', runId: 'run-1' },
      ]);
    });

    it('resolves with 0 and queues nothing when there is nothing to hand off', async () => {
      expect(await side.handOff.send([], 'run-1')).toBe(0);
      expect(await side.take()).toEqual([]);
    });

    it('rejects when the queue takes none of the messages (the run then keeps them for the next run)', async () => {
      const refused = [side.refusedId(1), side.refusedId(2)].map((id) => ({ partitionKey: 'default', id }));

      await expect(side.handOff.send(refused, 'run-1')).rejects.toBeInstanceOf(Error);
      expect(await side.take()).toEqual([]);
    });

    it('resolves with the number it queued when the queue refuses some of them', async () => {
      const sent = await side.handOff.send(
        [
          { partitionKey: 'default', id: 'inbox' },
          { partitionKey: 'default', id: side.refusedId(1) },
          { partitionKey: 'default', id: 'drive' },
        ],
        'run-1',
      );

      expect(sent).toBe(2);
      expect(byKeys(await side.take())).toEqual([
        { partitionKey: 'default', rowKey: 'drive', runId: 'run-1' },
        { partitionKey: 'default', rowKey: 'inbox', runId: 'run-1' },
      ]);
    });
  });
}
