/** Attempts the queue makes before moving a message to the poison queue: host.json's maxDequeueCount (a test keeps them equal). */
export const QUEUE_MAX_ATTEMPTS = 5;

/** A renewal handed to the queue: the row's keys and the run that queued it; nothing secret, nothing stale. */
export interface QueueMessage {
  partitionKey: string;
  rowKey: string;
  runId: string;
}

/**
 * Reads a queue message as the Functions host delivers it (JSON already parsed, or a string), or
 * undefined when it is not one of ours.
 */
export function parseQueueMessage(message: unknown): QueueMessage | undefined {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { partitionKey, rowKey, runId } = value as Record<string, unknown>;
  if (typeof partitionKey !== 'string' || typeof rowKey !== 'string' || rowKey === '') return undefined;
  return { partitionKey, rowKey, runId: typeof runId === 'string' ? runId : '' };
}
