import type { RenewalHandOff } from '../../../src/renewal/ports';
import { ScriptedFailures } from './scriptedFailures';

/** A queued renewal: the row's keys and the run's id, nothing else (src/renewal/queuedRenewal.ts). */
export interface QueuedMessage {
  partitionKey: string;
  rowKey: string;
  runId: string;
}

/** The renewal queue in memory: what a run hands off lands in `messages`. */
export class InMemoryRenewalQueue implements RenewalHandOff {
  readonly messages: QueuedMessage[] = [];
  /** A queue that cannot be reached: `send` then fails with what is scripted, as the real one does when nothing was sent. */
  readonly failures = new ScriptedFailures<'send'>();

  constructor(readonly queueName = 'renewals') {}

  async send(subscriptions: readonly { partitionKey: string; id: string }[], runId: string): Promise<number> {
    this.failures.throwIfScripted('send');
    for (const { partitionKey, id } of subscriptions) this.messages.push({ partitionKey, rowKey: id, runId });
    return subscriptions.length;
  }
}
