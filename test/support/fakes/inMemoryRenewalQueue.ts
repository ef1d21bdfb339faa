import type { RenewalHandOff } from '../../../src/renewal/ports';
import { ScriptedFailures } from './scriptedFailures';

/** A queued renewal: the row's keys and the run's id, nothing else (src/renewal/queueMessage.ts). */
export interface QueuedMessage {
  partitionKey: string;
  rowKey: string;
  runId: string;
}

/**
 * The renewal queue in memory: what a run hands off lands in `messages`, with the real queue's rules
 * (src/storage/renewalQueue.ts): one message per subscription, resolving with how many were queued;
 * messages the queue refuses are left out, and a send of which none was queued rejects. (The real one
 * stops starting sends after the first refusal, 16 at a time: with fewer than 16 the two agree.)
 */
export class InMemoryRenewalQueue implements RenewalHandOff {
  readonly messages: QueuedMessage[] = [];
  /** A queue that cannot be reached: `send` then fails with what is scripted, as the real one does when nothing was sent. */
  readonly failures = new ScriptedFailures<'send'>();
  /** Subscription ids whose message the queue refuses (the real one: a message over 64 KiB). */
  readonly refused = new Set<string>();

  constructor(readonly queueName = 'renewals') {}

  async send(subscriptions: readonly { partitionKey: string; id: string }[], runId: string): Promise<number> {
    this.failures.throwIfScripted('send');
    let sent = 0;
    let firstError: Error | undefined;
    for (const { partitionKey, id } of subscriptions) {
      if (this.refused.has(id)) {
        firstError ??= new Error(`The queue ${this.queueName} refused the message for subscription ${id}.`);
        continue;
      }
      this.messages.push({ partitionKey, rowKey: id, runId });
      sent++;
    }
    if (firstError && sent === 0) throw firstError;
    return sent;
  }
}
