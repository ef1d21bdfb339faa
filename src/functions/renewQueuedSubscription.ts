import { app, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../config';
import { redact } from '../lib/redact';
import { parseQueueMessage } from '../renewal/queueMessage';
import { renewFromQueue } from '../renewal/run/renewFromQueue';

/**
 * Renews one subscription a run handed to the renewal queue because its time budget ran out. The
 * platform scales queue triggers out across instances; each shares Graph's write ceiling through its
 * own rate limiter (a 429 slows every instance that receives one).
 */
export async function renewQueuedSubscription(message: unknown, context: InvocationContext): Promise<void> {
  const queued = parseQueueMessage(message);
  if (!queued) {
    // Retrying cannot make it readable; the content is not echoed (it is not ours to trust).
    context.error("Renewal queue message ignored: it does not hold a subscription row's keys.");
    return;
  }
  const outcome = await (async () => {
    // Loaded on first use, not at start-up: the SDKs stay off the host's start-up path.
    const { queuedRenewalInputFor } = await import('../compositionRoot.js');
    return renewFromQueue(queued, await queuedRenewalInputFor(loadConfig(), context));
  })().catch((error: unknown) => {
    throw new Error(redact(error instanceof Error ? error.message : String(error)));
  });
  // Recorded on the row already; failing the invocation lets the queue try again, then the poison queue.
  if (outcome === 'failed')
    throw new Error(`Renewal of subscription ${queued.rowKey} failed; the queue will try again.`);
  // Another worker holds the row: the message comes back later, and finds it renewed or free.
  if (outcome === 'skipped')
    throw new Error(`Subscription ${queued.rowKey} is being renewed by another worker; the queue will look again.`);
}

app.storageQueue('renewQueuedSubscription', {
  // Resolved from the app setting at start-up: infra and local.settings.json set it.
  queueName: '%RENEWAL_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: renewQueuedSubscription,
});
