import { eventLine } from '../renewal/events';
import { cadenceFor } from '../renewal/policy/cadence';
import { matchesDefinition } from '../renewal/policy/matching';
import type { GraphSubscription } from '../renewal/ports';
import { tenantOf } from '../renewal/run/renewalContext';
import { definitionOf, type StoredSubscription, type SubscriptionDefinition } from '../renewal/subscription';
import { graphCall } from './graphCall';
import type { OperationsInput } from './operationsInput';
import { readPartitionKey } from './registration';
import { type SubscriptionView, viewOf } from './subscriptionView';
import { tenantNamed } from './tenantNamed';

// Graph's list pages hold 100 subscriptions: their ids are looked up together.
const BATCH = 100;
const MAX_LISTED_MISSING = 1000;

export interface AdoptionReport {
  adopted: SubscriptionView[];
  /** Subscriptions an interrupted recreation had made, put in the place of the row they replace. */
  recovered: { id: string; replaces: string }[];
  alreadyStored: number;
  /**
   * With `reportMissing`: active rows Graph did not list (the next run finds them gone, 404, and
   * recreates them), the first 1,000. Null when not asked: finding them reads every row.
   */
  missingOnGraph: { id: string; resource: string; expirationDateTime: string }[] | null;
}

/**
 * Stores the subscriptions this app has on Graph that the table does not know (GET /subscriptions,
 * every page), and with `reportMissing` reports rows whose subscription Graph no longer lists. One
 * that an interrupted recreation made takes the place of the row it replaces, as the recreation would
 * have done, rather than becoming a second row for the same definition. Graph never returns a
 * subscription's client state: adopt only subscriptions created with WEBHOOK_CLIENT_STATE, or their
 * lifecycle notifications will be ignored.
 *
 * Its cost follows Graph's list, not the table: each listed id is looked up in the id index (point
 * reads, a page's ids at once); an id the index does not know is looked for in the table, 15 to a
 * query (a row typed by hand since the last census); the interrupted recreations come from the
 * attention entries (every recreation records one before it starts).
 */
export async function adopt(
  input: OperationsInput,
  partitionKey = 'default',
  options: { reportMissing?: boolean; tenant?: string } = {},
): Promise<AdoptionReport> {
  const { store, catalogue, log } = input;
  const partition = readPartitionKey(partitionKey);
  // What the tenant's Graph lists is adopted into that tenant: its token is the one that sees them.
  const tenantId = await tenantNamed(input, options.tenant);
  const graph = input.graphs.forTenant(tenantId);
  await catalogue.ensureExists();
  // The index is complete once a census has gone over the table (rows of an earlier version, by hand).
  if (!(await catalogue.indexed())) await input.takeCensus();
  const report: AdoptionReport = { adopted: [], recovered: [], alreadyStored: 0, missingOnGraph: null };
  const interrupted = (await interruptedRecreations(input)).filter((row) => row.tenantId === tenantId);
  const onGraph = options.reportMissing ? new Set<string>() : undefined;
  const now = new Date();
  const context = await input.renewalContext();
  const lease = context.leaseMs;
  // Which timer renews it from now on: the rules in force say, as for every row the app writes.
  const isShort = (subject: SubscriptionDefinition | StoredSubscription) =>
    cadenceFor(subject, context.rules) !== 'daily';

  const handle = async (batch: GraphSubscription[]) => {
    const stored = await catalogue.storedAmong(batch.map((s) => s.id));
    for (const subscription of batch) {
      onGraph?.add(subscription.id);
      if (stored.has(subscription.id)) {
        report.alreadyStored++;
        continue;
      }
      const owner = interrupted.find((row) => {
        const definition = definitionOf(row);
        return !('missing' in definition) && matchesDefinition(subscription, definition);
      });
      if (owner && (await recover(input, owner, subscription, lease, now, isShort(owner)))) {
        interrupted.splice(interrupted.indexOf(owner), 1);
        report.recovered.push({ id: subscription.id, replaces: owner.id });
        continue;
      }
      const definition = definitionFrom(subscription);
      await store.insert(partition, definition, subscription, now, isShort(definition), tenantId);
      const adopted = await store.find(subscription.id);
      report.adopted.push(viewOf(adopted!));
      log.info(
        eventLine(`Webhook adopted: subscription ${subscription.id}, resource ${subscription.resource}.`, {
          event: 'subscriptionRegistered',
          tenantId: tenantOf(input, { tenantId }),
          subscriptionId: subscription.id,
          resource: subscription.resource,
          expiration: subscription.expirationDateTime.toISOString(),
          adopted: true,
        }),
      );
    }
  };
  await graphCall(async () => {
    const batch: GraphSubscription[] = [];
    for await (const subscription of graph.list()) {
      batch.push(subscription);
      if (batch.length >= BATCH) await handle(batch.splice(0));
    }
    if (batch.length > 0) await handle(batch);
  }, 'list the subscriptions');
  if (onGraph) report.missingOnGraph = await missingOn(input, onGraph, tenantId);
  return report;
}

/** Rows a recreation marked and did not finish: among the attention entries, read again. */
async function interruptedRecreations({ catalogue, store }: OperationsInput): Promise<StoredSubscription[]> {
  const entries = await catalogue.expiredAttention();
  const rows = await Promise.all(entries.map((e) => store.read(e.partitionKey, e.rowKey)));
  return rows.flatMap((row) => (row?.ok && row.subscription.recreateStartedAt ? [row.subscription] : []));
}

/** Active rows whose id Graph did not list: reads every row, a page at a time. */
async function missingOn(
  { catalogue }: OperationsInput,
  onGraph: Set<string>,
  tenantId: string | undefined,
): Promise<NonNullable<AdoptionReport['missingOnGraph']>> {
  const missing: NonNullable<AdoptionReport['missingOnGraph']> = [];
  for await (const page of catalogue.allPages()) {
    for (const row of page) {
      if (!row.ok || row.subscription.state !== 'active' || onGraph.has(row.subscription.id)) continue;
      // Another tenant's Graph was not asked.
      if (row.subscription.tenantId !== tenantId) continue;
      if (missing.length < MAX_LISTED_MISSING) {
        missing.push({
          id: row.subscription.id,
          resource: row.subscription.resource,
          expirationDateTime: row.subscription.expirationDateTime.toISOString(),
        });
      }
    }
  }
  return missing;
}

/** Puts `created` in the place of `row`, whose recreation made it and was interrupted; false when another worker holds the row. */
async function recover(
  { store }: OperationsInput,
  row: StoredSubscription,
  created: GraphSubscription,
  leaseMs: number,
  now: Date,
  shortLived: boolean,
): Promise<boolean> {
  const definition = definitionOf(row) as SubscriptionDefinition;
  const leased = await store.claim(
    row,
    new Date(now.getTime() + leaseMs),
    (current) => current.recreateStartedAt !== undefined,
  );
  if (!leased) return false;
  await store.replace(leased, definition, created, now, shortLived);
  return true;
}

function definitionFrom(subscription: GraphSubscription): SubscriptionDefinition {
  const { id: _id, expirationDateTime: _expiration, ...definition } = subscription;
  return { ...definition, resource: definition.resource.replace(/^\//, '') };
}
