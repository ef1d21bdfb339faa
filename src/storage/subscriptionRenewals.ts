// The writes of a renewal: the new expiration (never moved backwards), a failure (never over a renewal
// made meanwhile), new definition fields after an update; each settles or raises the row's `failing` entry.
import type { DefinitionChanges } from '../renewal/ports';
import type { RenewalFailure, StoredSubscription } from '../renewal/subscription';
import { failingAttention } from './attentionRows';
import { CLEARED, mergeWithRetry, type Tables } from './conditionalMerge';
import { releaseIfOurs } from './subscriptionLeases';
import { failureProperties } from './subscriptionRow';

export async function saveRenewal(
  tables: Tables,
  subscription: StoredSubscription,
  expiration: Date,
  at: Date,
  shortLived: boolean,
): Promise<'saved' | 'newer-kept'> {
  const saved = await mergeWithRetry(
    tables,
    subscription,
    // A PATCH also reauthorizes: a pending reauthorizationRequired is dealt with. A subscriptionRemoved
    // that arrived after the PATCH is not: it stays for whoever recreates the subscription.
    (current) => ({
      expirationDateTime: expiration,
      lastRenewedAt: at,
      state: 'active',
      consecutiveFailures: 0,
      leaseUntil: CLEARED,
      // Which timer renews it next follows from the rules in force now (an override or a learnt maximum may move it).
      shortLived,
      ...(current.pendingLifecycleEvent === 'subscriptionRemoved' ? {} : { pendingLifecycleEvent: CLEARED }),
    }),
    // Another run stored this or a later expiration meanwhile: an expiration never moves backwards.
    (current) => current.expirationDateTime.getTime() >= expiration.getTime(),
  );
  if (saved) {
    // The failures it settles stop being a problem once the renewal is on the row (not before).
    if (saved.row.consecutiveFailures > 0 || subscription.consecutiveFailures > 0) {
      await tables.index?.unflag('failing', subscription.partitionKey, subscription.id).catch(() => undefined);
    }
    return 'saved';
  }
  // The later expiration stays, but the lease on the row may still be ours: give it back, or a
  // lifecycle event arriving meanwhile would wait for it to lapse (a failure here only means that wait).
  if (subscription.leaseUntil)
    await releaseIfOurs(tables, subscription, subscription.leaseUntil).catch(() => undefined);
  return 'newer-kept';
}

export async function recordFailure(
  tables: Tables,
  subscription: StoredSubscription,
  failure: RenewalFailure,
): Promise<void> {
  // The problem is on the index first: a crash between the two writes leaves a false alarm, never a hidden one.
  const attention = failingAttention(subscription, failure, subscription.consecutiveFailures + 1);
  await tables.index?.flag(attention);
  const written = await mergeWithRetry(
    tables,
    subscription,
    (current) => ({
      ...failureProperties(failure),
      consecutiveFailures: current.consecutiveFailures + 1,
      leaseUntil: CLEARED,
    }),
    (current) => renewedMeanwhile(subscription, current, failure.at),
  );
  // Renewed meanwhile: no failure was recorded, so there is nothing to report.
  if (!written) await tables.index?.unflag('failing', subscription.partitionKey, subscription.id);
  else if (written.row.consecutiveFailures !== subscription.consecutiveFailures) {
    await tables.index?.flag(failingAttention(written.row, failure, written.row.consecutiveFailures + 1));
  }
}

export async function saveDefinition(
  tables: Tables,
  subscription: StoredSubscription,
  changes: DefinitionChanges,
  renewed?: { expiration: Date; at: Date; shortLived: boolean },
): Promise<void> {
  // Graph holds the new values already: they are written whatever else changed on the row meanwhile
  // (the caller's lease kept renewals off it, so the expiration Graph answered is the latest).
  const expiration = renewed
    ? {
        expirationDateTime: renewed.expiration,
        lastRenewedAt: renewed.at,
        consecutiveFailures: 0,
        shortLived: renewed.shortLived,
      }
    : {};
  const written = await mergeWithRetry(
    tables,
    subscription,
    () => ({ ...changes, ...expiration, leaseUntil: CLEARED }),
    () => false,
  );
  // A renewal with it settles the failures, as saveRenewal's does.
  if (renewed && (written?.row.consecutiveFailures ?? 0) + subscription.consecutiveFailures > 0) {
    await tables.index?.unflag('failing', subscription.partitionKey, subscription.id).catch(() => undefined);
  }
}

/**
 * Another writer renewed the row since we read it (a later expiration, or a renewal after the
 * failure): recording the failure now would raise a false alarm.
 */
function renewedMeanwhile(read: StoredSubscription, current: StoredSubscription, failedAt: Date): boolean {
  if (current.expirationDateTime.getTime() > read.expirationDateTime.getTime()) return true;
  return current.lastRenewedAt !== undefined && current.lastRenewedAt.getTime() > failedAt.getTime();
}
