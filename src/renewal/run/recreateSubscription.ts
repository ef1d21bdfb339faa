import { redact } from '../../lib/redact';
import { CredentialError, isRowGone } from '../errors';
import { eventLine } from '../events';
import { givenBack, graphDeadline, isShortLived, leaseMsFor } from '../lease';
import { renewalTarget } from '../policy/expiration';
import { conflictingSubscriptionId } from '../policy/matching';
import { definitionOf, type RenewalFailure, type StoredSubscription } from '../subscription';
import { toFailure } from './failure';
import { createOrAdoptConflict, findOrphan } from './interruptedCreation';
import { graphOf, type RenewalContext, tenantOf } from './renewalContext';

export type RecreateOutcome = 'recreated' | 'expired' | 'skipped';

/**
 * Creates a new subscription from the stored definition of one Graph lost (404, subscriptionRemoved),
 * then puts its row in the old row's place in one transaction. The caller holds the row's lease.
 *
 * No duplicates: the row is marked before POST /subscriptions; an attempt that finds the mark (the
 * previous one died, or lost its answer, between POST and the table write) first looks on Graph for
 * the subscription that attempt made and adopts it.
 */
export async function recreateSubscription(
  subscription: StoredSubscription,
  runId: string,
  context: RenewalContext,
): Promise<RecreateOutcome> {
  const { store, log } = context;
  const label = `subscription ${subscription.id}, resource ${subscription.resource}`;
  const fields = {
    runId,
    subscriptionId: subscription.id,
    resource: subscription.resource,
    tenantId: tenantOf(context, subscription),
  };
  const fail = async (
    row: StoredSubscription,
    failure: RenewalFailure,
    mayHaveCreated: boolean,
    advice: string,
  ): Promise<RecreateOutcome> => {
    log.error(
      eventLine(
        `Webhook could not be recreated (${label}, status ${failure.statusCode}, code ${failure.code}): ${failure.message} ${advice}`,
        {
          event: 'recreateFailed',
          ...fields,
          statusCode: failure.statusCode,
          code: failure.code,
          requestId: failure.requestId,
        },
      ),
    );
    try {
      await store.recordRecreateFailure(row, failure, mayHaveCreated);
    } catch (error) {
      log.error(`Could not record the failed recreation on the table (${label}): ${redact((error as Error).message)}`);
    }
    return 'expired';
  };

  const definition = definitionOf(subscription);
  if ('missing' in definition) {
    return fail(
      subscription,
      {
        at: context.now(),
        statusCode: 0,
        code: 'DefinitionIncomplete',
        message: `The row has no ${definition.missing}.`,
      },
      false,
      `Add ${definition.missing} to the row (README, "Table schema"), or register the subscription again.`,
    );
  }
  if (!context.clientState) {
    return fail(
      subscription,
      {
        at: context.now(),
        statusCode: 0,
        code: context.webhookProblem ? 'WebhookSettingInvalid' : 'ClientStateMissing',
        message: context.webhookProblem ?? 'WEBHOOK_CLIENT_STATE is not set.',
      },
      false,
      'Fix WEBHOOK_CLIENT_STATE (README, "Configuration"): subscriptions are created with it, and lifecycle notifications are checked against it.',
    );
  }

  try {
    const adopted = subscription.recreateStartedAt
      ? await findOrphan(definition, graphOf(context, subscription), context)
      : undefined;
    if (adopted) {
      await store.replace(subscription, definition, adopted, context.now(), isShortLived(subscription, context));
      report(subscription, adopted, true, fields, label, context);
      return 'recreated';
    }
  } catch (error) {
    if (error instanceof CredentialError) throw await givenBack(subscription, error, context);
    return fail(
      subscription,
      toFailure(error, context.now(), definition.resource),
      true,
      'Looking for the subscription an earlier attempt created failed; the next attempt looks again.',
    );
  }

  const now = context.now();
  let marked: StoredSubscription;
  try {
    // The lease starts again here: the creation may take the whole of it.
    marked = await store.beginRecreate(subscription, now, new Date(now.getTime() + leaseMsFor(subscription, context)));
  } catch (error) {
    return fail(
      subscription,
      toFailure(error, context.now()),
      subscription.recreateStartedAt !== undefined,
      'The row could not be marked, so nothing was created; the next run tries again.',
    );
  }
  const target = renewalTarget(definition, context.rules, now, context.policy.lifetimeHours);
  const deadline = graphDeadline(marked.leaseUntil, now, leaseMsFor(subscription, context));
  const outcome = await createOrAdoptConflict(
    definition,
    target.expiration,
    deadline,
    graphOf(context, subscription),
    context,
    fields,
  ).catch(async (error: unknown) => {
    // The mark stays (the next attempt looks for what this one may have created); the lease does not.
    throw error instanceof CredentialError ? await givenBack(marked, error, context) : error;
  });
  if ('error' in outcome) {
    const failure = toFailure(outcome.error, context.now(), definition.resource);
    // No answer, or a server error: Graph may have created it; the next attempt looks before it creates.
    const mayHaveCreated = failure.statusCode === 0 || failure.statusCode >= 500;
    const other = failure.statusCode === 409 ? conflictingSubscriptionId(failure.message) : undefined;
    const advice = other
      ? `Graph already has subscription ${other} for this resource and changeType, with another definition: remove it (npm run ops -- remove ${other}) if it is not needed, and the next run creates this one; or remove this row. The definition is kept.`
      : /validation/i.test(failure.message)
        ? `Graph could not validate the notification URL (${definition.notificationUrl}${definition.lifecycleNotificationUrl ? ` or ${definition.lifecycleNotificationUrl}` : ''}): it must answer Graph's validation request within 10 s. The definition is kept; the next run tries again.`
        : 'The definition is kept; the next run tries again.';
    return fail(marked, failure, mayHaveCreated, advice);
  }
  const { created, adopted } = outcome;
  try {
    await store.replace(marked, definition, created, context.now(), isShortLived(subscription, context));
  } catch (error) {
    // The row is gone (removed meanwhile); the whole table missing is a storage failure like any other.
    if (isRowGone(error)) return withdraw(subscription, created, fields, label, context);
    // The mark stays on the old row: the next attempt finds this subscription on Graph and adopts it.
    const message = redact((error as Error).message);
    log.error(
      eventLine(
        `Webhook recreated on Graph as ${created.id} but the table could not be updated (${label}): ${message} The next run adopts it.`,
        {
          event: 'tableWriteFailed',
          ...fields,
          oldExpiration: subscription.expirationDateTime.toISOString(),
          outcome: 'failed',
          newExpiration: created.expirationDateTime.toISOString(),
        },
      ),
    );
    return 'expired';
  }
  report(subscription, created, adopted, fields, label, context);
  return 'recreated';
}

/**
 * The row went away while Graph created its successor (someone removed the subscription): the new
 * one has no row to live in, so it is deleted again rather than left on Graph unseen.
 */
async function withdraw(
  old: StoredSubscription,
  created: { id: string },
  fields: { runId: string; subscriptionId: string; resource: string; tenantId: string },
  label: string,
  context: RenewalContext,
): Promise<RecreateOutcome> {
  let outcome = 'deleted it again';
  try {
    await graphOf(context, old).remove(created.id);
  } catch (error) {
    outcome = `could not delete it (${redact((error as Error).message)}): delete ${created.id} with "npm run ops -- remove ${created.id}"`;
  }
  context.log.warn(
    eventLine(
      `Webhook row removed while it was being recreated (${label}): created ${created.id} on Graph and ${outcome}.`,
      {
        event: 'subscriptionSkipped',
        ...fields,
        oldExpiration: old.expirationDateTime.toISOString(),
      },
    ),
  );
  return 'skipped';
}

function report(
  old: StoredSubscription,
  created: { id: string; expirationDateTime: Date },
  adopted: boolean,
  fields: { runId: string; subscriptionId: string; resource: string; tenantId: string },
  label: string,
  context: RenewalContext,
): void {
  // A warning, not information: notifications sent while it was gone are lost for good.
  context.log.warn(
    eventLine(
      `Webhook recreated (${label}): replaced by ${created.id}, valid until ${created.expirationDateTime.toISOString()}` +
        `${adopted ? ' (adopted the one an interrupted attempt had created)' : ''}. Notifications since it was lost are missing: the consumer must resync (delta query).`,
      {
        event: 'subscriptionRecreated',
        ...fields,
        newSubscriptionId: created.id,
        newExpiration: created.expirationDateTime.toISOString(),
        adopted,
        lostSince: (old.lastFailure?.at ?? old.expirationDateTime).toISOString(),
      },
    ),
  );
}
