import { CredentialError, GraphRequestError } from '../graph/errors';
import { redact } from '../redact';
import { eventLine } from '../renewal/events';
import type { GraphSubscription, Log } from '../renewal/ports';
import { cadenceFor, conflictingSubscriptionId, keepAliveProblem, matchesDefinition, renewalTarget } from '../renewal/policy';
import { runRenewal, type RenewalRunResult } from '../renewal/run';
import { definitionOf, type StoredSubscription, type SubscriptionDefinition } from '../renewal/subscription';
import { currentRules, renewalContextFor, runInputFor, type Services } from '../wiring';
import { OperationError } from './operationError';
import { readPartitionKey, readRegistration } from './registration';

/**
 * The manual operations (HTTP functions and the CLI share them): register, adopt, list, remove and
 * renew now. Each answers with plain data; no client state or token is ever part of it.
 */

/** A subscription as the operations show it. */
export interface SubscriptionView {
  id: string;
  partitionKey: string;
  resource: string;
  changeType: string | null;
  notificationUrl: string | null;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  state: string;
  consecutiveFailures: number;
  lastRenewedAt: string | null;
  lastError: string | null;
  replaces: string | null;
  recreatedAt: string | null;
  pendingLifecycleEvent: string | null;
  lastMissedAt: string | null;
  /** Renewed by the 10-minute timer (its maximum lifetime is under a day plus the margin), not the daily one. */
  shortLived: boolean;
}

export function viewOf(subscription: StoredSubscription): SubscriptionView {
  const failure = subscription.lastFailure;
  return {
    id: subscription.id,
    partitionKey: subscription.partitionKey,
    resource: subscription.resource,
    changeType: subscription.changeType ?? null,
    notificationUrl: subscription.notificationUrl ?? null,
    lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
    expirationDateTime: subscription.expirationDateTime.toISOString(),
    state: subscription.state,
    consecutiveFailures: subscription.consecutiveFailures,
    lastRenewedAt: subscription.lastRenewedAt?.toISOString() ?? null,
    lastError: failure ? `${failure.at.toISOString()} status ${failure.statusCode} ${failure.code}: ${failure.message}` : null,
    replaces: subscription.replaces ?? null,
    recreatedAt: subscription.recreatedAt?.toISOString() ?? null,
    pendingLifecycleEvent: subscription.pendingLifecycleEvent ?? null,
    lastMissedAt: subscription.lastMissedAt?.toISOString() ?? null,
    shortLived: subscription.shortLived === true,
  };
}

/** Creates a subscription on Graph (Graph validates the notification URL first) and stores it. */
export async function register(services: Services, input: unknown, log: Log): Promise<{ subscription: SubscriptionView; warnings: string[] }> {
  const { config, graph, subscriptions } = services;
  if (config.webhookProblem) throw new OperationError(503, `Configuration error: ${config.webhookProblem}`);
  const clientState = config.webhook.clientState;
  if (!clientState) throw new OperationError(503, 'WEBHOOK_CLIENT_STATE is not set: subscriptions are created with it. Set it first (README, "Configuration").');
  const { definition, partitionKey, warnings } = readRegistration(input, config.webhook);
  await subscriptions.ensureExists();
  const rules = await currentRules(services, log);
  // What Graph would refuse, or what no timer could keep alive, is said before anything is sent.
  const shortTimerEnabled = !config.schedule.shortTimerDisabled;
  const cadence = cadenceFor(definition, rules, config.renewal.marginHours);
  const problem = keepAliveProblem(definition, rules, config.renewal.marginHours, shortTimerEnabled);
  if (cadence === 'none') throw new OperationError(400, `This subscription cannot be kept alive: ${problem}`);
  if (problem) warnings.push(`It will expire: ${problem}`);
  const now = new Date();
  const target = renewalTarget(definition, rules, now, config.renewal.lifetimeHours);
  if (target.lifetime.cappedBecause) {
    warnings.push(
      `Registered for at most ${target.lifetime.maxMinutes} minutes, not ${target.lifetime.configuredMinutes}: ${target.lifetime.cappedBecause}. ` +
        'The 10-minute timer keeps it alive; for the longer lifetime, remove it and register it again with a lifecycleNotificationUrl (or set WEBHOOK_LIFECYCLE_URL).',
    );
  }
  let created: GraphSubscription;
  try {
    created = await graphCall(() => graph.create({ ...definition, expirationDateTime: target.expiration, clientState }), 'create the subscription', true);
  } catch (error) {
    const existing = error instanceof OperationError && error.status === 502 ? conflictingSubscriptionId(error.message) : undefined;
    if (!existing) throw error;
    throw new OperationError(
      409,
      `Graph already has subscription ${existing} for this resource and changeType (it refuses a second one): run adopt to store it, or remove it first.`,
    );
  }
  try {
    await subscriptions.insert(partitionKey, definition, created, now, cadence !== 'daily');
  } catch (error) {
    throw new OperationError(
      503,
      `Graph created subscription ${created.id}, but the table could not store it (${redact((error as Error).message)}): run "adopt" to store it.`,
    );
  }
  log.info(
    eventLine(`Webhook registered: subscription ${created.id}, resource ${definition.resource}, valid until ${created.expirationDateTime.toISOString()}.`, {
      event: 'subscriptionRegistered',
      subscriptionId: created.id,
      resource: definition.resource,
      expiration: created.expirationDateTime.toISOString(),
      adopted: false,
    }),
  );
  const stored = await subscriptions.find(created.id);
  return { subscription: viewOf(stored!), warnings };
}

export interface AdoptionReport {
  adopted: SubscriptionView[];
  /** Subscriptions an interrupted recreation had made, put in the place of the row they replace. */
  recovered: { id: string; replaces: string }[];
  alreadyStored: number;
  /** Active rows Graph did not list: the next run finds them gone (404) and recreates them. */
  missingOnGraph: { id: string; resource: string; expirationDateTime: string }[];
}

/**
 * Stores the subscriptions this app has on Graph that the table does not know (GET /subscriptions,
 * every page), and reports rows whose subscription Graph no longer lists. One that an interrupted
 * recreation made takes the place of the row it replaces, as the recreation would have done, rather
 * than becoming a second row for the same definition. Graph never returns a subscription's client
 * state: adopt only subscriptions created with WEBHOOK_CLIENT_STATE, or their lifecycle
 * notifications will be ignored.
 */
export async function adopt(services: Services, log: Log, partitionKey = 'default'): Promise<AdoptionReport> {
  const { graph, subscriptions } = services;
  const partition = readPartitionKey(partitionKey);
  await subscriptions.ensureExists();
  const report: AdoptionReport = { adopted: [], recovered: [], alreadyStored: 0, missingOnGraph: [] };

  // One pass over the table: the ids it holds, the active rows, and the interrupted recreations.
  const stored = new Set<string>();
  const active: StoredSubscription[] = [];
  const interrupted: StoredSubscription[] = [];
  for await (const page of subscriptions.pages()) {
    for (const row of page) {
      if (!row.ok) continue;
      stored.add(row.subscription.id);
      if (row.subscription.state === 'active') active.push(row.subscription);
      if (row.subscription.recreateStartedAt) interrupted.push(row.subscription);
    }
  }

  const onGraph = new Set<string>();
  const now = new Date();
  const isShort = (subject: SubscriptionDefinition | StoredSubscription) =>
    cadenceFor(subject, context.rules, services.config.renewal.marginHours) !== 'daily';
  const context = await renewalContextFor(services, log);
  const lease = context.leaseMs;
  await graphCall(async () => {
    for await (const subscription of graph.list()) {
      onGraph.add(subscription.id);
      if (stored.has(subscription.id)) {
        report.alreadyStored++;
        continue;
      }
      const owner = interrupted.find((row) => {
        const definition = definitionOf(row);
        return !('missing' in definition) && matchesDefinition(subscription, definition);
      });
      if (owner && (await recover(services, owner, subscription, lease, now, isShort(owner)))) {
        interrupted.splice(interrupted.indexOf(owner), 1);
        report.recovered.push({ id: subscription.id, replaces: owner.id });
        continue;
      }
      const adoptedDefinition = definitionFrom(subscription);
      await subscriptions.insert(partition, adoptedDefinition, subscription, now, isShort(adoptedDefinition));
      const adopted = await subscriptions.find(subscription.id);
      report.adopted.push(viewOf(adopted!));
      log.info(
        eventLine(`Webhook adopted: subscription ${subscription.id}, resource ${subscription.resource}.`, {
          event: 'subscriptionRegistered',
          subscriptionId: subscription.id,
          resource: subscription.resource,
          expiration: subscription.expirationDateTime.toISOString(),
          adopted: true,
        }),
      );
    }
  }, 'list the subscriptions');
  for (const row of active) {
    if (!onGraph.has(row.id)) report.missingOnGraph.push({ id: row.id, resource: row.resource, expirationDateTime: row.expirationDateTime.toISOString() });
  }
  return report;
}

/** Puts `created` in the place of `row`, whose recreation made it and was interrupted; false when another worker holds the row. */
async function recover(
  services: Services,
  row: StoredSubscription,
  created: GraphSubscription,
  leaseMs: number,
  now: Date,
  shortLived: boolean,
): Promise<boolean> {
  const definition = definitionOf(row) as SubscriptionDefinition;
  const leased = await services.subscriptions.claim(row, new Date(now.getTime() + leaseMs), (current) => current.recreateStartedAt !== undefined);
  if (!leased) return false;
  await services.subscriptions.replace(leased, definition, created, now, shortLived);
  return true;
}

function definitionFrom(subscription: GraphSubscription): SubscriptionDefinition {
  const { id: _id, expirationDateTime: _expiration, ...definition } = subscription;
  return { ...definition, resource: definition.resource.replace(/^\//, '') };
}

/** Every stored subscription, with malformed rows reported apart. */
export async function list(services: Services): Promise<{ subscriptions: SubscriptionView[]; malformed: { partitionKey: string; rowKey: string; problem: string }[] }> {
  await services.subscriptions.ensureExists();
  const result: Awaited<ReturnType<typeof list>> = { subscriptions: [], malformed: [] };
  for await (const page of services.subscriptions.pages()) {
    for (const row of page) {
      if (row.ok) result.subscriptions.push(viewOf(row.subscription));
      else result.malformed.push({ partitionKey: row.partitionKey, rowKey: row.rowKey, problem: row.problem });
    }
  }
  return result;
}

/** Deletes the subscription on Graph, then its row; Graph answering 404 still removes the row. */
export async function remove(services: Services, id: string, log: Log): Promise<{ id: string; onGraph: 'deleted' | 'notFound'; row: 'deleted' | 'notFound' }> {
  // Without an id the DELETE would go to Graph's /subscriptions collection itself.
  if (id.trim() === '') throw new OperationError(400, 'The subscription id is missing: give the id of the subscription to remove (list shows them).');
  const { graph, subscriptions } = services;
  await subscriptions.ensureExists();
  const found = await subscriptions.find(id);
  // Leased like a renewal, so no run is renewing or recreating it while it goes.
  const leaseMs = (await renewalContextFor(services, log)).leaseMs;
  const row = found && (await subscriptions.claim(found, new Date(Date.now() + leaseMs), () => true));
  if (found && !row) throw new OperationError(409, `Subscription ${id} is being renewed or recreated right now; try again in a few minutes.`);
  let onGraph: 'deleted' | 'notFound';
  try {
    onGraph = await graphCall(() => graph.remove(id), 'delete the subscription');
  } catch (error) {
    if (row) await subscriptions.release(row).catch(() => undefined);
    throw error;
  }
  if (!row && onGraph === 'notFound') throw new OperationError(404, `No subscription ${id}, neither stored nor on Graph.`);
  if (row) await subscriptions.remove(row);
  log.info(
    eventLine(`Webhook removed: subscription ${id}${row ? `, resource ${row.resource}` : ''} (on Graph: ${onGraph}).`, {
      event: 'subscriptionRemoved',
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
export async function renewNow(services: Services, log: Log, options: { id?: string; force?: boolean }): Promise<RenewalRunResult> {
  await Promise.all([services.subscriptions.ensureExists(), services.runs.ensureExists()]);
  if (options.id !== undefined && !(await services.subscriptions.find(options.id))) {
    throw new OperationError(404, `No stored subscription has the id ${options.id}: list them to see the ids.`);
  }
  const input = await runInputFor(services, log, { trigger: 'manual', isPastDue: false, force: options.force === true, subscriptionId: options.id, scope: 'any' });
  return runRenewal(input);
}

/** Runs a Graph call; its failure becomes an OperationError that says what Graph answered. */
async function graphCall<T>(call: () => Promise<T>, what: string, creates = false): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CredentialError) throw new OperationError(503, error.message);
    if (error instanceof GraphRequestError) {
      const status = error.statusCode === 0 ? 'no answer' : `status ${error.statusCode}`;
      // No answer or a server error: Graph may have created it all the same.
      const unsure = creates && (error.statusCode === 0 || error.statusCode >= 500)
        ? ' Graph may have created it anyway: run adopt before registering again, or you may get two.'
        : '';
      throw new OperationError(502, `Graph could not ${what} (${status}, ${error.code}): ${redact(error.message)}${unsure}`);
    }
    throw error;
  }
}
