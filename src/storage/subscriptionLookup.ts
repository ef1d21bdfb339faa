// Reading one row: by its keys, or by its Graph id through the index (a point read), with a scan across
// partitions only for a row the index does not know yet.
import { odata } from '@azure/data-tables';
import { isRowGone, MalformedRowError } from '../renewal/errors';
import { canBeKey, type StoredRow, type StoredSubscription } from '../renewal/subscription';
import type { Tables } from './conditionalMerge';
import { type SubscriptionEntity, toStoredRow } from './subscriptionRow';

export function mustBeReadable(row: StoredRow): StoredSubscription {
  if (!row.ok) throw new MalformedRowError(`Row ${row.partitionKey}/${row.rowKey} is malformed: ${row.problem}`);
  return row.subscription;
}

/** One row, or undefined when it is gone (deleted since it was queued). */
export async function read(tables: Tables, partitionKey: string, rowKey: string): Promise<StoredRow | undefined> {
  try {
    return toStoredRow(await tables.table.getEntity<SubscriptionEntity>(partitionKey, rowKey));
  } catch (error) {
    if (isRowGone(error)) return undefined;
    throw error;
  }
}

/**
 * The row of a Graph subscription id: a point read in the index, then one of the row. A row the
 * index does not know (written by hand or by an earlier version, or an entry left pointing at a
 * row since removed) is looked for across partitions once, and the entry written for next time.
 */
export async function find(tables: Tables, id: string): Promise<StoredSubscription | undefined> {
  if (!canBeKey(id)) return undefined;
  const entry = await tables.index?.locate(id);
  if (entry) {
    const row = await read(tables, entry.partitionKey, id);
    if (row) return mustBeReadable(row);
    await tables.index!.unpoint(id, entry.etag);
  }
  const found = await scanFor(tables, id);
  if (found && tables.index) await tables.index.point(id, found.partitionKey).catch(() => undefined);
  return found;
}

/** The row of `id` by the index alone (no scan): `unindexed` when the index has no entry for it. */
export async function findIndexed(tables: Tables, id: string): Promise<StoredSubscription | undefined | 'unindexed'> {
  const entry = await tables.index?.locate(id);
  if (!entry) return 'unindexed';
  const row = await read(tables, entry.partitionKey, id);
  return row ? mustBeReadable(row) : 'unindexed';
}

export async function scanFor(tables: Tables, id: string): Promise<StoredSubscription | undefined> {
  // RowKey alone spans partitions: the service reads every partition; a Graph id is unique, so at most one row matches.
  for await (const entity of tables.table.listEntities<SubscriptionEntity>({
    queryOptions: { filter: odata`RowKey eq ${id}` },
  })) {
    return mustBeReadable(toStoredRow(entity));
  }
  return undefined;
}
