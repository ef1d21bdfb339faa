// The lease on a row, as the table takes it (the rules of the lease are the domain's: renewal/lease.ts):
// a merge of `leaseUntil` under the row's ETag, or one table transaction for up to 100 rows.
import { heldByAnother, type StoredSubscription } from '../renewal/subscription';
import { CLEARED, mergeWithRetry, type Tables } from './conditionalMerge';

export async function claim(
  tables: Tables,
  subscription: StoredSubscription,
  until: Date,
  stillWanted: (current: StoredSubscription) => boolean,
  ours?: Date,
): Promise<StoredSubscription | undefined> {
  // Judged by this machine's clock at the moment of the write, not by the run's `now` (minutes old
  // late in a run): leases are held between instances in real time.
  const now = new Date();
  const busy = (row: StoredSubscription) => heldByAnother(row, now, ours);
  if (busy(subscription)) return undefined;
  const written = await mergeWithRetry(
    tables,
    subscription,
    () => ({ leaseUntil: until }),
    (current) => busy(current) || !stillWanted(current),
  );
  return written ? { ...written.row, leaseUntil: until, etag: written.etag } : undefined;
}

export async function leaseMany(
  tables: Tables,
  rows: StoredSubscription[],
  until: Date | undefined,
): Promise<StoredSubscription[]> {
  if (rows.length === 0) return [];
  let response;
  try {
    response = await tables.table.submitTransaction(
      rows.map((row) => [
        'update',
        { partitionKey: row.partitionKey, rowKey: row.id, leaseUntil: until ?? CLEARED },
        'Merge',
        { etag: row.etag },
      ]),
    );
  } catch {
    // A row changed since it was read (412), the service refused the batch, or no answer came:
    // a transaction is all or nothing, so nothing was written. The caller goes row by row.
    return [];
  }
  // The sub-responses come in the order of the actions, each with its row's new ETag.
  return Promise.all(
    rows.map(async (row, index) => {
      const etag = response.subResponses[index]?.etag ?? (await tables.table.getEntity(row.partitionKey, row.id)).etag;
      return { ...row, leaseUntil: until, etag };
    }),
  );
}

export async function release(tables: Tables, subscription: StoredSubscription): Promise<void> {
  await mergeWithRetry(
    tables,
    subscription,
    () => ({ leaseUntil: CLEARED }),
    () => false,
  );
}

export async function releaseIfOurs(tables: Tables, subscription: StoredSubscription, ours: Date): Promise<void> {
  // Re-read: the row may have changed since it was leased (a lifecycle event); the lease may not.
  await mergeWithRetry(
    tables,
    subscription,
    () => ({ leaseUntil: CLEARED }),
    (current) => current.leaseUntil?.getTime() !== ours.getTime(),
  );
}
