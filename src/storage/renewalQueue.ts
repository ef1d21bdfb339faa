import type { TokenCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';
import { forEachConcurrently } from '../lib/concurrently';
import type { RenewalHandOff } from '../renewal/ports';
import { parseQueueMessage, type QueueMessage } from '../renewal/queueMessage';
import type { StoredSubscription } from '../renewal/subscription';

// Messages in flight while handing off: enough to queue thousands in seconds, few enough for one instance.
const SEND_CONCURRENCY = 16;

/**
 * The renewal queue in the host's storage: one message per subscription, holding its keys and the
 * run's id only (no resource, no client state: the row is read again when the message is handled).
 * Base64, the encoding the Functions queue trigger expects by default (host.json messageEncoding).
 */
export class RenewalQueue implements RenewalHandOff {
  readonly queueName: string;
  private created: Promise<unknown> | undefined;

  constructor(private readonly queue: QueueClient) {
    this.queueName = queue.name;
  }

  async send(
    subscriptions: readonly Pick<StoredSubscription, 'partitionKey' | 'id'>[],
    runId: string,
  ): Promise<number> {
    // Once per process; a failed attempt is forgotten so the next hand-off tries again.
    await (this.created ??= this.queue.createIfNotExists().catch((error: unknown) => {
      this.created = undefined;
      throw error;
    }));
    let sent = 0;
    let firstError: { error: unknown } | undefined;
    await forEachConcurrently(
      subscriptions,
      SEND_CONCURRENCY,
      async (subscription) => {
        const message: QueueMessage = { partitionKey: subscription.partitionKey, rowKey: subscription.id, runId };
        try {
          await this.queue.sendMessage(encodeMessage(message));
          sent++;
        } catch (error) {
          firstError ??= { error };
        }
      },
      () => firstError !== undefined,
    );
    if (firstError !== undefined && sent === 0) throw firstError.error;
    return sent;
  }
}

export function encodeMessage(message: QueueMessage): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

/** A message as the queue holds it (base64 JSON), for tests and tools that read the queue themselves. */
export function decodeMessage(text: string): QueueMessage | undefined {
  try {
    return parseQueueMessage(JSON.parse(Buffer.from(text, 'base64').toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Where the renewal queue is: its name, and its account by connection string (Azurite, keys) or by endpoint. */
export interface RenewalQueueLocation {
  storage: { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };
  name: string;
}

/** A client for the renewal queue, by connection string or by endpoint and identity. */
export function createRenewalQueue(location: RenewalQueueLocation, credential: TokenCredential): RenewalQueue {
  const client =
    location.storage.kind === 'endpoint'
      ? new QueueClient(`${location.storage.endpoint}/${location.name}`, credential)
      : new QueueClient(location.storage.connectionString, location.name);
  return new RenewalQueue(client);
}
