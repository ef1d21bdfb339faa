// The writes of a recreation: the mark before POST /subscriptions, a failure, and the old row replaced by
// its successor in one table transaction.
import type { RenewalFailure, StoredSubscription, SubscriptionDefinition } from '../renewal/subscription';
import { expiredAttention } from './attentionRows';
import { CLEARED, mergeWithRetry, type Tables } from './conditionalMerge';
import { failureProperties, INDEXED, newRowProperties, type SubscriptionEntity, toStoredRow } from './subscriptionRow';

export async function beginRecreate(
  tables: Tables,
  subscription: StoredSubscription,
  at: Date,
  leaseUntil: Date,
): Promise<StoredSubscription> {
  // Reported before it is marked: adopt finds an interrupted recreation among these entries.
  await tables.index?.flag(expiredAttention(subscription, at, subscription.lastFailure));
  // Marked expired too: a worker that dies from here on leaves a row the next run recreates.
  const written = await mergeWithRetry(
    tables,
    subscription,
    (current) => ({
      recreateStartedAt: at,
      leaseUntil,
      state: 'expired',
      ...(current.state === 'expired' ? {} : { expiredAt: at }),
    }),
    () => false,
  );
  return { ...written!.row, state: 'expired', recreateStartedAt: at, leaseUntil, etag: written!.etag };
}

export async function recordRecreateFailure(
  tables: Tables,
  subscription: StoredSubscription,
  failure: RenewalFailure,
  mayHaveCreated: boolean,
): Promise<void> {
  await tables.index?.flag(expiredAttention(subscription, failure.at, failure));
  await mergeWithRetry(
    tables,
    subscription,
    (current) => ({
      ...failureProperties(failure),
      state: 'expired',
      ...(current.state === 'expired' ? {} : { expiredAt: failure.at }),
      consecutiveFailures: current.consecutiveFailures + 1,
      leaseUntil: CLEARED,
      ...(mayHaveCreated ? {} : { recreateStartedAt: CLEARED }),
    }),
    () => false,
  );
}

export async function replace(
  tables: Tables,
  old: StoredSubscription,
  definition: SubscriptionDefinition,
  created: { id: string; expirationDateTime: Date },
  at: Date,
  shortLived: boolean,
): Promise<void> {
  // What arrived on the old row while Graph was creating its successor (a `missed`) is kept.
  const current = toStoredRow(await tables.table.getEntity<SubscriptionEntity>(old.partitionKey, old.id));
  const lastMissedAt = current.ok ? current.subscription.lastMissedAt : old.lastMissedAt;
  // The new id is findable before its row exists; an entry whose row never came reads as not found.
  await tables.index?.point(created.id, old.partitionKey);
  // One transaction (same partition): the old row goes and its successor arrives together, or
  // neither does. A transaction's delete takes no ETag (SDK); the caller's lease keeps other runs off.
  await tables.table.submitTransaction([
    ['delete', { partitionKey: old.partitionKey, rowKey: old.id }],
    [
      'create',
      {
        partitionKey: old.partitionKey,
        rowKey: created.id,
        ...newRowProperties(definition, created, at, shortLived, old.tenantId),
        replaces: old.id,
        recreatedAt: at,
        ...(lastMissedAt ? { lastMissedAt } : {}),
        ...(tables.index ? INDEXED : {}),
      },
    ],
  ]);
  if (!tables.index) return;
  // The old id is gone, and so are its problems; a `missed` carried over is the new id's now.
  await Promise.all([tables.index.unpoint(old.id), tables.index.unflagAll(old.partitionKey, old.id)]).catch(
    () => undefined,
  );
  if (lastMissedAt && lastMissedAt.getTime() > at.getTime() - 24 * 3_600_000) {
    await tables.index
      .flag({
        kind: 'missed',
        partitionKey: old.partitionKey,
        rowKey: created.id,
        resource: definition.resource,
        at: lastMissedAt,
        expirationDateTime: created.expirationDateTime,
        state: 'active',
      })
      .catch(() => undefined);
  }
}
