import { redact } from '../lib/redact';
import { eventLine } from '../renewal/events';
import { cadenceFor, keepAliveProblem } from '../renewal/policy/cadence';
import { renewalTarget } from '../renewal/policy/expiration';
import { conflictingSubscriptionId } from '../renewal/policy/matching';
import type { GraphSubscription } from '../renewal/ports';
import { tenantOf } from '../renewal/run/renewalContext';
import { requestWithinStatedMaximum } from '../renewal/run/requestWithinStatedMaximum';
import { type RenewalRunResult, runRenewal } from '../renewal/run/run';
import { graphCall } from './graphCall';
import { OperationError } from './operationError';
import type { OperationsInput } from './operationsInput';
import { readRegistration } from './registration';
import { type SubscriptionView, viewOf } from './subscriptionView';
import { tenantNamed } from './tenantNamed';

/**
 * The manual operations (HTTP functions and the CLI share them): register, adopt, list, remove and
 * renew now. Each answers with plain data; no client state or token is ever part of it.
 */

/** Creates a subscription on Graph (Graph validates the notification URL first) and stores it. */
export async function register(
  input: OperationsInput,
  body: unknown,
): Promise<{ subscription: SubscriptionView; warnings: string[] }> {
  const { store, catalogue, log } = input;
  if (input.webhookProblem) throw new OperationError('notConfigured', `Configuration error: ${input.webhookProblem}`);
  const clientState = input.clientState;
  if (!clientState)
    throw new OperationError(
      'notConfigured',
      'WEBHOOK_CLIENT_STATE is not set: subscriptions are created with it. Set it first (README, "Configuration").',
    );
  // The tenant is the app's own field, not the subscription's: it is taken off before the definition is read.
  const { tenantId: tenantGiven, ...fields } =
    body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const { definition, partitionKey, warnings } = readRegistration(
    body && typeof body === 'object' ? fields : body,
    input.defaults,
  );
  const tenantId = await tenantNamed(input, tenantGiven);
  const graph = input.graphs.forTenant(tenantId);
  await catalogue.ensureExists();
  const context = await input.renewalContext();
  const { rules } = context;
  // What Graph would refuse, or what no timer could keep alive, is said before anything is sent.
  const { shortTimerEnabled } = input;
  const cadence = cadenceFor(definition, rules);
  const problem = keepAliveProblem(definition, rules, shortTimerEnabled);
  if (cadence === 'none')
    throw new OperationError('invalidInput', `This subscription cannot be kept alive: ${problem}`);
  if (problem) warnings.push(`It will expire: ${problem}`);
  const now = new Date();
  const target = renewalTarget(definition, rules, now, input.lifetimeHours);
  if (target.lifetime.cappedBecause) {
    warnings.push(
      `Registered for at most ${target.lifetime.maxMinutes} minutes, not ${target.lifetime.configuredMinutes}: ${target.lifetime.cappedBecause}. ` +
        'The 10-minute timer keeps it alive; for the longer lifetime, remove it and register it again with a lifecycleNotificationUrl (or set WEBHOOK_LIFECYCLE_URL).',
    );
  }
  let created: GraphSubscription;
  try {
    // Refused as beyond a maximum Graph has lowered: asked again within it, and the maximum learnt.
    const subject = {
      runId: 'register',
      subscriptionId: 'a registration',
      resource: definition.resource,
      tenantId: tenantOf(input, { tenantId }),
    };
    created = await graphCall(
      () =>
        requestWithinStatedMaximum(
          (expirationDateTime) => graph.create({ ...definition, expirationDateTime, clientState }),
          target.expiration,
          definition,
          context,
          subject,
        ),
      'create the subscription',
      true,
    );
  } catch (error) {
    const existing =
      error instanceof OperationError && error.kind === 'upstreamFailed'
        ? conflictingSubscriptionId(error.message)
        : undefined;
    if (!existing) throw error;
    throw new OperationError(
      'conflict',
      `Graph already has subscription ${existing} for this resource and changeType (it refuses a second one): run adopt to store it, or remove it first.`,
    );
  }
  try {
    await store.insert(partitionKey, definition, created, now, cadence !== 'daily', tenantId);
  } catch (error) {
    throw new OperationError(
      'unavailable',
      `Graph created subscription ${created.id}, but the table could not store it (${redact((error as Error).message)}): run "adopt" to store it.`,
    );
  }
  log.info(
    eventLine(
      `Webhook registered: subscription ${created.id}, resource ${definition.resource}, valid until ${created.expirationDateTime.toISOString()}.`,
      {
        event: 'subscriptionRegistered',
        tenantId: tenantOf(input, { tenantId }),
        subscriptionId: created.id,
        resource: definition.resource,
        expiration: created.expirationDateTime.toISOString(),
        adopted: false,
      },
    ),
  );
  const stored = await store.find(created.id);
  return { subscription: viewOf(stored!), warnings };
}

export { adopt, type AdoptionReport } from './adopt';
export { type SubscriptionView, viewOf } from './subscriptionView';

/** Deletes the subscription on Graph, then its row; Graph answering 404 still removes the row. */
export async function remove(
  input: OperationsInput,
  id: string,
  /** The tenant to delete it in when no row knows it (a row's own tenant is used otherwise). */
  tenantGiven?: string,
): Promise<{ id: string; onGraph: 'deleted' | 'notFound'; row: 'deleted' | 'notFound' }> {
  // Without an id the DELETE would go to Graph's /subscriptions collection itself.
  if (id.trim() === '')
    throw new OperationError(
      'invalidInput',
      'The subscription id is missing: give the id of the subscription to remove (list shows them).',
    );
  const { store, catalogue, log } = input;
  await catalogue.ensureExists();
  const found = await store.find(id);
  const tenantId = found ? found.tenantId : await tenantNamed(input, tenantGiven);
  const graph = input.graphs.forTenant(tenantId);
  // Leased like a renewal, so no run is renewing or recreating it while it goes.
  const leaseMs = (await input.renewalContext()).leaseMs;
  const row = found && (await store.claim(found, new Date(Date.now() + leaseMs), () => true));
  if (found && !row)
    throw new OperationError(
      'conflict',
      `Subscription ${id} is being renewed or recreated right now; try again in a few minutes.`,
    );
  let onGraph: 'deleted' | 'notFound';
  try {
    onGraph = await graphCall(() => graph.remove(id), 'delete the subscription');
  } catch (error) {
    if (row) await store.release(row).catch(() => undefined);
    throw error;
  }
  if (!row && onGraph === 'notFound')
    throw new OperationError('notFound', `No subscription ${id}, neither stored nor on Graph.`);
  if (row) await store.remove(row);
  log.info(
    eventLine(`Webhook removed: subscription ${id}${row ? `, resource ${row.resource}` : ''} (on Graph: ${onGraph}).`, {
      event: 'subscriptionRemoved',
      tenantId: tenantOf(input, { tenantId }),
      subscriptionId: id,
      resource: row?.resource ?? '',
      onGraph,
    }),
  );
  return { id, onGraph, row: row ? 'deleted' : 'notFound' };
}

/**
 * The seed's manual renewal: one subscription or all, `force` to renew even what is not due. It is a
 * run like the timer's (recorded in the run history), and shares its row leases: a manual run and a
 * timer run at the same time never renew one subscription twice.
 */
export async function renewNow(
  input: OperationsInput,
  options: { id?: string; force?: boolean; tenant?: string },
): Promise<RenewalRunResult> {
  await Promise.all([input.catalogue.ensureExists(), input.ensureRunHistory()]);
  if (options.id !== undefined && !(await input.store.find(options.id))) {
    throw new OperationError('notFound', `No stored subscription has the id ${options.id}: list them to see the ids.`);
  }
  // One tenant's subscriptions only (`--tenant`; `home` is the home tenant's).
  const onlyTenant = options.tenant === undefined ? undefined : { tenantId: await tenantNamed(input, options.tenant) };
  return runRenewal(
    await input.runInput({
      force: options.force === true,
      subscriptionId: options.id,
      ...(onlyTenant ? { onlyTenant } : {}),
    }),
  );
}
