// What an interrupted recreation may have left on Graph: a subscription no row knows, made by an attempt
// that died (or lost Graph's answer) between POST /subscriptions and the table write. Found and adopted,
// never created twice.
import { CredentialError, GraphRequestError } from '../errors';
import { conflictingSubscriptionId, matchesDefinition } from '../policy/matching';
import type { SubscriptionGraph } from '../ports';
import type { SubscriptionDefinition } from '../subscription';
import type { RenewalContext } from './renewalContext';
import { requestWithinStatedMaximum } from './requestWithinStatedMaximum';

/** A subscription on Graph with this definition that no row knows: what an interrupted attempt created. */
export async function findOrphan(
  definition: SubscriptionDefinition,
  graph: SubscriptionGraph,
  context: RenewalContext,
): Promise<{ id: string; expirationDateTime: Date } | undefined> {
  let best: { id: string; expirationDateTime: Date } | undefined;
  const now = context.now().getTime();
  for await (const candidate of graph.list()) {
    if (candidate.expirationDateTime.getTime() <= now || !matchesDefinition(candidate, definition)) continue;
    if (await context.store.find(candidate.id)) continue;
    if (!best || candidate.expirationDateTime > best.expirationDateTime) best = candidate;
  }
  return best;
}

/**
 * POST /subscriptions for `definition`. Graph refuses a second subscription for the same resource and
 * changeType (409, "Subscription Id <id> already exists for the requested combination") and names the
 * first: one no row knows is what an interrupted attempt made (even when Graph's list lags behind),
 * and it is renewed and adopted instead. Only a CredentialError is thrown.
 */
export async function createOrAdoptConflict(
  definition: SubscriptionDefinition,
  expiration: Date,
  deadline: Date,
  graph: SubscriptionGraph,
  context: RenewalContext,
  fields: { runId: string; subscriptionId: string; resource: string; tenantId: string },
): Promise<{ created: { id: string; expirationDateTime: Date }; adopted: boolean } | { error: unknown }> {
  const clientState = context.clientState!;
  try {
    const created = await requestWithinStatedMaximum(
      (expirationDateTime) => graph.create({ ...definition, expirationDateTime, clientState }, deadline),
      expiration,
      definition,
      context,
      { ...fields, resource: definition.resource },
    );
    return { created, adopted: false };
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    const existing = await unclaimedConflict(error, context);
    if (!existing) return { error };
    try {
      // Only the subscription this definition describes is taken: not one made by hand or by another
      // deployment for the same resource (another notification URL, or without our lifecycle URL).
      const found = await graph.get(existing);
      if (!found || !matchesDefinition(found, definition)) return { error };
      return {
        created: { id: existing, ...(await graph.renew(existing, expiration, deadline)) },
        adopted: true,
      };
    } catch (renewError) {
      if (renewError instanceof CredentialError) throw renewError;
      return { error };
    }
  }
}

/** The id Graph's 409 names, when no row holds it: the subscription to adopt rather than create. */
async function unclaimedConflict(error: unknown, context: RenewalContext): Promise<string | undefined> {
  const id =
    error instanceof GraphRequestError && error.statusCode === 409
      ? conflictingSubscriptionId(error.message)
      : undefined;
  if (!id) return undefined;
  const owner = await context.store.find(id).catch(() => undefined);
  return owner ? undefined : id;
}
