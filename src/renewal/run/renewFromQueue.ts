import { redact } from '../../lib/redact';
import { ConsentMissingError, CredentialError } from '../errors';
import { ALL_TENANTS, eventLine } from '../events';
import { isLeased } from '../lease';
import { dueHorizon, workFor } from '../policy/due';
import type { QueueMessage } from '../queueMessage';
import { type RenewalContext, tenantOf } from './renewalContext';
import { type RenewalOutcome, renewSubscription } from './renewSubscription';

/** What became of a queued renewal; `notDue` and `gone` mean there was nothing left to do. */
export type QueuedOutcome = RenewalOutcome | 'notDue' | 'gone' | 'malformed';

/**
 * Renews the subscription a run handed to the queue. Reads the row again and renews only when it is
 * still due: a message delivered twice, or after another run got there, renews nothing a second time
 * (and saveRenewal never moves an expiration backwards). A failure is recorded on the row by the
 * renewal itself; the caller then lets the queue try again.
 */
export async function renewFromQueue(message: QueueMessage, input: RenewalContext): Promise<QueuedOutcome> {
  const { log } = input;
  const where = `${message.partitionKey}/${message.rowKey}`;
  const row = await input.store.read(message.partitionKey, message.rowKey);
  if (!row) {
    log.info(`Queued renewal skipped: subscription row ${where} no longer exists.`);
    return 'gone';
  }
  if (!row.ok) {
    log.error(
      eventLine(`Skipping malformed subscription row ${where}: ${row.problem}`, {
        event: 'rowMalformed',
        tenantId: ALL_TENANTS,
        runId: message.runId,
        partitionKey: row.partitionKey,
        rowKey: row.rowKey,
        problem: row.problem,
      }),
    );
    await input.store.flagMalformed(row, input.now()).catch(() => undefined);
    return 'malformed';
  }
  const subscription = row.subscription;
  const work = workFor(subscription, dueHorizon(subscription, input.rules, input.schedules));
  if (!work) {
    log.info(
      `Queued renewal skipped: subscription ${subscription.id} is valid until ${subscription.expirationDateTime.toISOString()}, no longer due.`,
    );
    return 'notDue';
  }
  try {
    return await renewSubscription(subscription, message.runId, input, work);
  } catch (error) {
    // A customer tenant that gives no token: said, and recorded for the status, as a run does; the
    // queue tries the message again (a timeout may pass), then the next run does.
    if (error instanceof CredentialError && subscription.tenantId !== undefined) {
      const tenantId = subscription.tenantId;
      const said = redact(error.message);
      log.error(
        eventLine(`Tenant ${tenantId} gave no token: queued renewal of ${subscription.id} not done. ${said}`, {
          event: 'tenantUnavailable',
          tenantId,
          runId: message.runId,
          due: 1,
          failed: 1,
          consentMissing: error instanceof ConsentMissingError,
          error: said,
        }),
      );
      await input.tenantHealth
        ?.recordHealth(tenantId, input.now(), { message: said, consentMissing: error instanceof ConsentMissingError })
        .catch(() => undefined);
    }
    throw error;
  }
}

/**
 * The queue gave up on a message (the host moved it to the poison queue after maxDequeueCount
 * attempts): says so naming the subscription, and records it on the row when it is still due, so the
 * status reports it as failing and nothing is lost silently.
 */
export async function recordPoisoned(message: QueueMessage, attempts: number, input: RenewalContext): Promise<void> {
  const { log } = input;
  const row = await input.store.read(message.partitionKey, message.rowKey);
  const subscription = row?.ok ? row.subscription : undefined;
  const stillDue =
    subscription !== undefined &&
    workFor(subscription, dueHorizon(subscription, input.rules, input.schedules)) !== undefined;
  log.error(
    eventLine(
      `Queued renewal given up after ${attempts} attempt(s) (subscription ${message.rowKey}, row ${message.partitionKey}/${message.rowKey})` +
        (stillDue ? ': it is still due; the next run tries again.' : ': it has been renewed or removed since.'),
      {
        event: 'renewalPoisoned',
        tenantId: subscription ? tenantOf(input, subscription) : ALL_TENANTS,
        runId: message.runId,
        partitionKey: message.partitionKey,
        subscriptionId: message.rowKey,
        attempts,
        stillDue,
      },
    ),
  );
  // A worker renewing it right now is left alone: recording the failure would end its lease.
  if (stillDue && !isLeased(subscription, input.now())) {
    await input.store.recordFailure(subscription, {
      at: input.now(),
      statusCode: 0,
      code: 'RenewalQueueGaveUp',
      message: `The renewal queue gave up on this subscription after ${attempts} attempt(s); the next run tries again.`,
    });
  }
}
