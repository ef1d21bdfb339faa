import { forEachConcurrently } from '../lib/concurrently';
import { redact } from '../lib/redact';
import { CredentialError, GraphRequestError } from '../renewal/errors';
import { eventLine } from '../renewal/events';
import { graphDeadline, isShortLived, leaseMsFor } from '../renewal/lease';
import { cadenceFor, keepAliveProblem } from '../renewal/policy/cadence';
import { renewalTarget } from '../renewal/policy/expiration';
import type { DefinitionChanges } from '../renewal/ports';
import { type RenewalContext, tenantOf } from '../renewal/run/renewalContext';
import { renewSubscription } from '../renewal/run/renewSubscription';
import { requestWithinStatedMaximum } from '../renewal/run/requestWithinStatedMaximum';
import type { StoredSubscription } from '../renewal/subscription';
import { OperationError, type OperationErrorKind } from './operationError';
import type { OperationsInput } from './operationsInput';
import { readPartitionKey } from './registration';
import { type SubscriptionView, viewOf } from './subscriptionView';
import { readUpdate } from './updateRequest';

// A partition is updated a few subscriptions at a time: Graph validates each new webhook URL first.
const CONCURRENCY = 4;

export interface UpdateReport {
  updated: SubscriptionView[];
  /** Rows whose subscription Graph no longer had: recreated at once with the new values. */
  recreated: string[];
  /** Rows whose subscription Graph no longer has and whose recreation failed now: the new values are stored, and each run tries again (the status names them). */
  storedForRecreation: string[];
  /** Already held these values. */
  unchanged: string[];
  /** With why: conflict (busy), upstreamFailed (Graph refused), unavailable (the table or the identity), invalidInput. */
  failed: UpdateFailure[];
}

/**
 * PATCHes new delivery or encryption settings for one subscription, or for every subscription of a
 * partition, and keeps each row in step: move the notification endpoint, or rotate the key of rich
 * notifications, without recreating anything (and losing what was sent meanwhile). Each row is leased
 * like a renewal; the PATCH renews it too. One failure does not stop the others.
 */
export async function update(
  input: OperationsInput,
  target: { id: string } | { partitionKey: string },
  body: unknown,
): Promise<UpdateReport> {
  const changes = readUpdate(body);
  const { store, catalogue } = input;
  await catalogue.ensureExists();
  const report: UpdateReport = { updated: [], recreated: [], storedForRecreation: [], unchanged: [], failed: [] };
  const context = await input.renewalContext();
  const one = async (row: StoredSubscription) => {
    const outcome = await updateOne(row, changes, input, context).catch((error: unknown): Outcome => ({
      failed: redact((error as Error).message),
      kind: 'unavailable',
    }));
    if ('failed' in outcome) report.failed.push({ id: row.id, error: outcome.failed, kind: outcome.kind });
    else if (outcome.kind === 'updated') report.updated.push(outcome.view);
    else if (outcome.kind === 'recreated') report.recreated.push(row.id);
    else if (outcome.kind === 'stored') report.storedForRecreation.push(row.id);
    else report.unchanged.push(row.id);
  };
  if ('id' in target) {
    if (target.id.trim() === '')
      throw new OperationError(
        'invalidInput',
        'The subscription id is missing: give the id of the subscription to update (list shows them).',
      );
    const row = await store.find(target.id);
    if (!row)
      throw new OperationError('notFound', `No stored subscription has the id ${target.id}: list them to see the ids.`);
    await one(row);
    return report;
  }
  const partition = readPartitionKey(target.partitionKey);
  for await (const page of store.partitionPages(partition)) {
    const rows: StoredSubscription[] = [];
    for (const row of page) {
      if (row.ok) rows.push(row.subscription);
      else report.failed.push({ id: row.rowKey, error: `The row is malformed: ${row.problem}`, kind: 'invalidInput' });
    }
    await forEachConcurrently(rows, CONCURRENCY, one);
  }
  return report;
}

/** One subscription an update could not change, and why. */
export interface UpdateFailure {
  id: string;
  error: string;
  kind: OperationErrorKind;
}

type Outcome =
  | { kind: 'updated'; view: SubscriptionView }
  | { kind: 'recreated' | 'stored' | 'unchanged' }
  | { failed: string; kind: OperationErrorKind };

async function updateOne(
  row: StoredSubscription,
  changes: DefinitionChanges,
  { store, graphs, homeTenant, log }: OperationsInput,
  context: RenewalContext,
): Promise<Outcome> {
  if (Object.entries(changes).every(([field, value]) => row[field as keyof DefinitionChanges] === value))
    return { kind: 'unchanged' };
  const updated = { ...row, ...changes };
  // As at registration: nothing is moved where no timer could keep it alive (Event Grid under 3 hours).
  if (cadenceFor(updated, context.rules) === 'none') {
    return {
      failed: `Not updated: it could not be kept alive there: ${keepAliveProblem(updated, context.rules, context.schedules.short.enabled)}`,
      kind: 'invalidInput',
    };
  }
  const now = new Date();
  const leased = await store.claim(row, new Date(now.getTime() + leaseMsFor(row, context)), () => true);
  if (!leased)
    return {
      failed: 'It is being renewed or recreated right now; update it again in a few minutes.',
      kind: 'conflict',
    };
  const label = `subscription ${row.id}, resource ${row.resource}`;
  const tenantId = tenantOf({ homeTenant }, row);
  const fields = { runId: `update-${row.id}`, subscriptionId: row.id, resource: row.resource, tenantId };
  const target = renewalTarget(updated, context.rules, now, context.policy.lifetimeHours);
  const deadline = graphDeadline(leased.leaseUntil, now, leaseMsFor(leased, context));
  let renewed: { expirationDateTime: Date } | 'gone';
  if (leased.state === 'expired') renewed = 'gone';
  else {
    try {
      renewed = await requestWithinStatedMaximum(
        (expiration) => graphs.forTenant(row.tenantId).update(leased.id, changes, expiration, deadline),
        target.expiration,
        updated,
        context,
        fields,
      );
    } catch (error) {
      if (!(error instanceof GraphRequestError && error.statusCode === 404)) {
        await store.release(leased).catch(() => undefined);
        if (error instanceof CredentialError) return { failed: error.message, kind: 'unavailable' };
        const answered =
          error instanceof GraphRequestError && error.statusCode !== 0
            ? `status ${error.statusCode}, ${error.code}`
            : 'no answer';
        return {
          failed: `Graph refused the update (${answered}): ${redact((error as Error).message)} The row is unchanged.`,
          kind: 'upstreamFailed',
        };
      }
      renewed = 'gone';
    }
  }
  if (renewed === 'gone') {
    // Graph lost it: the new values go on the row, and it is recreated with them now, as a run would.
    await store.saveDefinition(leased, changes);
    const current = await store.find(row.id);
    if (!current) return { kind: 'stored' };
    const outcome = await renewSubscription(current, fields.runId, context, 'recreate');
    return { kind: outcome === 'recreated' ? 'recreated' : 'stored' };
  }
  const at = new Date();
  try {
    await store.saveDefinition(leased, changes, {
      expiration: renewed.expirationDateTime,
      at,
      shortLived: isShortLived(updated, context),
    });
  } catch (error) {
    return {
      failed: `Graph has the new values, but the table could not be updated (${redact((error as Error).message)}): run the update again.`,
      kind: 'unavailable',
    };
  }
  log.info(
    eventLine(
      `Webhook updated: ${label}: ${Object.keys(changes).join(', ')} changed, valid until ${renewed.expirationDateTime.toISOString()}.`,
      {
        event: 'subscriptionUpdated',
        tenantId,
        subscriptionId: row.id,
        resource: row.resource,
        changed: Object.keys(changes),
        expiration: renewed.expirationDateTime.toISOString(),
      },
    ),
  );
  return {
    kind: 'updated',
    view: viewOf({
      ...updated,
      expirationDateTime: renewed.expirationDateTime,
      lastRenewedAt: at,
      consecutiveFailures: 0,
      leaseUntil: undefined,
      shortLived: isShortLived(updated, context),
    }),
  };
}
