import { app, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../config';
import { parseQueueMessage, QUEUE_MAX_ATTEMPTS } from '../renewal/queueMessage';
import { recordPoisoned } from '../renewal/run/renewFromQueue';

/**
 * Reads the poison queue the host fills after host.json's maxDequeueCount failed attempts: logs an
 * error naming the subscription and records it on the row, so no queued renewal is lost unseen.
 */
export async function recordPoisonedRenewal(message: unknown, context: InvocationContext): Promise<void> {
  const queued = parseQueueMessage(message);
  if (!queued) {
    context.error("Renewal poison queue message ignored: it does not hold a subscription row's keys.");
    return;
  }
  const { queuedRenewalInputFor } = await import('../compositionRoot.js');
  await recordPoisoned(queued, QUEUE_MAX_ATTEMPTS, await queuedRenewalInputFor(loadConfig(), context));
}

app.storageQueue('recordPoisonedRenewal', {
  queueName: '%RENEWAL_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: recordPoisonedRenewal,
});
