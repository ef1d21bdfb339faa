// The store's conditional writes: a merge under the row's ETag, tried again over a fresh read when
// another writer got there first (Update Entity, If-Match: learn.microsoft.com/rest/api/storageservices/merge-entity).
import type { TableClient } from '@azure/data-tables';
import type { StoredSubscription } from '../renewal/subscription';
import type { SubscriptionIndex } from './subscriptionIndex';
import { type SubscriptionEntity, toStoredRow } from './subscriptionRow';
import { isConflict } from './tableClient';

// Enough for any real contention (a timer run and a manual run); a row that keeps changing is a bug.
const MAX_WRITE_ATTEMPTS = 5;
/** Merge cannot delete a property: an empty string is how a date or a mark is cleared. */
export const CLEARED = '';

/** The subscriptions table and, when there is one, the index every writer of it keeps (SubscriptionTable's). */
export interface Tables {
  readonly table: TableClient;
  readonly index?: SubscriptionIndex;
}

/**
 * Merges `properties` under the row's ETag. On a conflict it re-reads the row and tries again,
 * unless `outdated` says the other writer's change makes ours pointless. Returns the row it wrote
 * over and the new ETag, or undefined when it did not write.
 */
export async function mergeWithRetry(
  tables: Tables,
  subscription: StoredSubscription,
  properties: (current: StoredSubscription) => Record<string, unknown>,
  outdated: (current: StoredSubscription) => boolean,
): Promise<{ row: StoredSubscription; etag: string } | undefined> {
  let current = subscription;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await tables.table.updateEntity(
        { partitionKey: current.partitionKey, rowKey: current.id, ...properties(current) },
        'Merge',
        { etag: current.etag },
      );
      return { row: current, etag: response.etag ?? '*' };
    } catch (error) {
      if (!isConflict(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
      current = await reread(tables, current);
      if (outdated(current)) return undefined;
    }
  }
}

export async function reread(tables: Tables, subscription: StoredSubscription): Promise<StoredSubscription> {
  const entity = await tables.table.getEntity<SubscriptionEntity>(subscription.partitionKey, subscription.id);
  const row = toStoredRow(entity);
  if (!row.ok) throw new Error(`Row ${subscription.partitionKey}/${subscription.id} became malformed: ${row.problem}`);
  return row.subscription;
}
