import { CredentialError, GraphRequestError } from '../graph/errors';
import { redact } from '../redact';
import { eventLine } from './events';
import type { Log } from './ports';
import { keepAliveProblem, renewalTarget } from './policy';
import type { RenewalRunInput } from './run';
import type { RenewalFailure, StoredSubscription } from './subscription';

/** What one renewal needs of the run (the queue-triggered function gives the same). */
export type RenewalContext = Pick<RenewalRunInput, 'store' | 'graph' | 'log' | 'policy' | 'intervalMs' | 'now'>;

/** What became of one due subscription; the run counts each. */
export type RenewalOutcome = 'renewed' | 'failed' | 'expired';

/**
 * Renews one due subscription and records the outcome on its row. Only a CredentialError escapes
 * (every other renewal would fail the same way); any other failure is recorded and reported.
 */
export async function renewSubscription(
  subscription: StoredSubscription,
  runId: string,
  input: RenewalContext,
): Promise<RenewalOutcome> {
  const { store, graph, log, policy } = input;
  const label = `subscription ${subscription.id}, resource ${subscription.resource}`;
  const fields = {
    runId,
    subscriptionId: subscription.id,
    resource: subscription.resource,
    oldExpiration: subscription.expirationDateTime.toISOString(),
  };
  const now = input.now();
  const target = renewalTarget(subscription.resource, now, policy.lifetimeHours);
  if (!target.lifetime.known) {
    log.warn(
      eventLine(
        `Unknown resource type for ${label}: assuming Graph's most conservative maximum lifetime (${target.lifetime.maxMinutes} minutes).`,
        { event: 'unknownResource', ...fields, maxMinutes: target.lifetime.maxMinutes },
      ),
    );
  }
  const problem = keepAliveProblem(subscription.resource, input.intervalMs, policy.lifetimeHours);
  if (problem) {
    log.warn(eventLine(`Webhook will expire before the next run (${label}): ${problem}`, { event: 'cannotKeepAlive', ...fields, problem }));
  }

  let renewed: { expirationDateTime: Date };
  try {
    renewed = await graph.renew(subscription.id, target.expiration);
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    const failure = toFailure(error, input.now());
    if (failure.statusCode === 404) {
      log.error(
        eventLine(
          `Webhook no longer exists on Graph (${label}, status 404, code ${failure.code}): it expired or was deleted and must be recreated; notifications are being lost.`,
          { event: 'subscriptionGone', ...fields, outcome: 'expired', statusCode: 404, code: failure.code, requestId: failure.requestId },
        ),
      );
      await recordSafely(() => store.markExpired(subscription, failure), label, log);
      return 'expired';
    }
    log.error(
      eventLine(`Webhook renewal failed (${label}, status ${failure.statusCode}, code ${failure.code}): ${failure.message}`, {
        event: 'renewalFailed',
        ...fields,
        outcome: 'failed',
        statusCode: failure.statusCode,
        code: failure.code,
        requestId: failure.requestId,
      }),
    );
    await recordSafely(() => store.recordFailure(subscription, failure), label, log);
    return 'failed';
  }

  const newExpiration = renewed.expirationDateTime.toISOString();
  try {
    const saved = await store.saveRenewal(subscription, renewed.expirationDateTime, input.now());
    const kept = saved === 'newer-kept' ? ' (a concurrent run had already stored a later one)' : '';
    log.info(
      eventLine(`Webhook renewed successfully. New expiration: ${newExpiration} (${label})${kept}`, {
        event: 'subscriptionRenewed',
        ...fields,
        outcome: 'renewed',
        newExpiration,
        concurrentRunWasFirst: saved === 'newer-kept',
      }),
    );
    return 'renewed';
  } catch (error) {
    // Graph has the new expiration; the table keeps the old one, which only makes the next run renew early.
    log.error(
      eventLine(
        `Webhook renewed on Graph until ${newExpiration} but the table could not be updated (${label}): ${(error as Error).message}`,
        { event: 'tableWriteFailed', ...fields, outcome: 'failed', newExpiration },
      ),
    );
    return 'failed';
  }
}

function toFailure(error: unknown, at: Date): RenewalFailure {
  if (error instanceof GraphRequestError) {
    return { at, statusCode: error.statusCode, code: error.code, message: redact(error.message), requestId: error.requestId };
  }
  return { at, statusCode: 0, code: 'Unexpected', message: redact(error instanceof Error ? error.message : String(error)) };
}

async function recordSafely(write: () => Promise<void>, label: string, log: Log): Promise<void> {
  try {
    await write();
  } catch (error) {
    log.error(`Could not record the failure on the table (${label}): ${redact((error as Error).message)}`);
  }
}
