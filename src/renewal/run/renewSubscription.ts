import { redact } from '../../lib/redact';
import { CredentialError } from '../errors';
import { eventLine } from '../events';
import { givenBack, graphDeadline, isShortLived, leaseMsFor, leaseRow } from '../lease';
import { keepAliveProblem } from '../policy/cadence';
import { renewalTarget } from '../policy/expiration';
import type { Log } from '../ports';
import type { StoredSubscription } from '../subscription';
import { toFailure } from './failure';
import { recreateSubscription } from './recreateSubscription';
import { graphOf, type RenewalContext, tenantOf } from './renewalContext';
import { requestWithinStatedMaximum } from './requestWithinStatedMaximum';

/** What became of one subscription; the run counts each. */
export type RenewalOutcome = 'renewed' | 'recreated' | 'failed' | 'expired' | 'skipped';

/**
 * Renews (PATCH) or recreates one subscription and records the outcome on its row. It first takes the
 * row's lease, so a timer run, a manual run and a lifecycle event never work on it at once; a row
 * another worker holds or has just renewed is skipped. Only a CredentialError escapes (every other
 * subscription would fail the same way); any other failure is recorded and reported.
 */
export async function renewSubscription(
  subscription: StoredSubscription,
  runId: string,
  context: RenewalContext,
  work: 'renew' | 'recreate',
  /** The row, already leased for this worker (a run leases rows ahead in batches). */
  leasedAhead?: StoredSubscription,
): Promise<RenewalOutcome> {
  const { store, log, policy } = context;
  const graph = graphOf(context, subscription);
  const label = `subscription ${subscription.id}, resource ${subscription.resource}`;
  const fields = {
    runId,
    subscriptionId: subscription.id,
    resource: subscription.resource,
    tenantId: tenantOf(context, subscription),
    oldExpiration: subscription.expirationDateTime.toISOString(),
  };

  const leased = leasedAhead ?? (await leaseRow(subscription, context));
  if (leased instanceof Error) {
    log.error(
      eventLine(`Webhook left alone: its row could not be leased (${label}): ${redact(leased.message)}`, {
        event: 'tableWriteFailed',
        ...fields,
        outcome: 'failed',
      }),
    );
    return 'failed';
  }
  if (!leased) {
    // A lease still running when the row was read may be a dead worker's (a run killed halfway): say
    // until when, so nobody waits for a renewal that is not coming before then.
    const heldUntil =
      subscription.leaseUntil && subscription.leaseUntil.getTime() > context.now().getTime()
        ? subscription.leaseUntil
        : undefined;
    const until = heldUntil
      ? ` Its lease runs until ${heldUntil.toISOString()}: if the run holding it stopped, the first run after then renews it.`
      : '';
    log.info(
      eventLine(`Webhook skipped: another run or request is renewing it, or just did (${label}).${until}`, {
        event: 'subscriptionSkipped',
        ...fields,
        ...(heldUntil ? { leaseUntil: heldUntil.toISOString() } : {}),
      }),
    );
    return 'skipped';
  }
  if (work === 'recreate') return recreateSubscription(leased, runId, context);

  const now = context.now();
  const target = renewalTarget(leased, context.rules, now, policy.lifetimeHours);
  if (!target.lifetime.known) {
    log.warn(
      eventLine(
        `Unknown resource type for ${label}: assuming Graph's most conservative maximum lifetime (${target.lifetime.maxMinutes} minutes).`,
        { event: 'unknownResource', ...fields, maxMinutes: target.lifetime.maxMinutes },
      ),
    );
  }
  const problem = keepAliveProblem(leased, context.rules, context.schedules.short.enabled);
  if (problem) {
    log.warn(
      eventLine(`Webhook will expire before the next run (${label}): ${problem}`, {
        event: 'cannotKeepAlive',
        ...fields,
        problem,
      }),
    );
  }

  let renewed: { expirationDateTime: Date };
  try {
    const deadline = graphDeadline(leased.leaseUntil, now, leaseMsFor(leased, context));
    renewed = await requestWithinStatedMaximum(
      (expiration) => graph.renew(leased.id, expiration, deadline),
      target.expiration,
      leased,
      context,
      fields,
    );
  } catch (error) {
    if (error instanceof CredentialError) throw await givenBack(leased, error, context);
    const failure = toFailure(error, context.now(), leased.resource);
    if (failure.statusCode === 404) {
      log.error(
        eventLine(
          `Webhook no longer exists on Graph (${label}, status 404, code ${failure.code}): it expired or was deleted; recreating it from its stored definition.`,
          {
            event: 'subscriptionGone',
            ...fields,
            outcome: 'expired',
            statusCode: 404,
            code: failure.code,
            requestId: failure.requestId,
          },
        ),
      );
      return recreateSubscription(leased, runId, context);
    }
    log.error(
      eventLine(
        `Webhook renewal failed (${label}, status ${failure.statusCode}, code ${failure.code}): ${failure.message}`,
        {
          event: 'renewalFailed',
          ...fields,
          outcome: 'failed',
          statusCode: failure.statusCode,
          code: failure.code,
          requestId: failure.requestId,
        },
      ),
    );
    await recordSafely(() => store.recordFailure(leased, failure), label, log);
    return 'failed';
  }

  const newExpiration = renewed.expirationDateTime.toISOString();
  try {
    const saved = await store.saveRenewal(
      leased,
      renewed.expirationDateTime,
      context.now(),
      isShortLived(leased, context),
    );
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
        `Webhook renewed on Graph until ${newExpiration} but the table could not be updated (${label}): ${redact((error as Error).message)}`,
        { event: 'tableWriteFailed', ...fields, outcome: 'failed', newExpiration },
      ),
    );
    return 'failed';
  }
}

async function recordSafely(write: () => Promise<void>, label: string, log: Log): Promise<void> {
  try {
    await write();
  } catch (error) {
    log.error(`Could not record the failure on the table (${label}): ${redact((error as Error).message)}`);
  }
}
