import type { SubscriptionStore } from '../ports';
import type { StoredSubscription } from '../subscription';
import type { Attention } from './attentionKinds';
import { type CensusSummary, SOONEST_KEPT } from './summary';

const HOUR_MS = 3_600_000;
const MAX_LISTED_EXPIRING = 1000;

/** Where the status finds what has expired or is about to: a point read each, or a server-side filter. */
export interface ExpirationSources {
  store: Pick<SubscriptionStore, 'read'>;
  /** Rows whose DateTime expiration is before `at` (a server-side filter: the cost follows the matches). */
  expiringBefore(at: Date): AsyncIterable<StoredSubscription[]>;
}

/**
 * Active subscriptions whose expiration has passed: those the census saw coming (its soonest, read
 * again one by one: renewed since, they are fine). Expirations only move forward, so whatever has
 * expired since the census was among them, unless there were more than it keeps: then the service
 * is asked (a filter, read only in that case).
 */
export async function expiredSince(summary: CensusSummary, input: ExpirationSources, now: Date): Promise<Attention[]> {
  const past = summary.soonest.filter((s) => s.expirationDateTime.getTime() <= now.getTime());
  const found: StoredSubscription[] = [];
  if (past.length >= SOONEST_KEPT) {
    for await (const page of input.expiringBefore(now)) found.push(...page.filter((s) => s.state === 'active'));
  } else {
    const rows = await Promise.all(past.map((s) => input.store.read(s.partitionKey, s.id)));
    for (const row of rows)
      if (
        row?.ok &&
        row.subscription.state === 'active' &&
        row.subscription.expirationDateTime.getTime() <= now.getTime()
      )
        found.push(row.subscription);
  }
  return found.map((s) => ({
    kind: 'expired',
    partitionKey: s.partitionKey,
    rowKey: s.id,
    resource: s.resource,
    at: s.expirationDateTime,
    expirationDateTime: s.expirationDateTime,
    state: 'active',
    lastFailure: s.lastFailure,
    consecutiveFailures: s.consecutiveFailures,
  }));
}

/** The subscriptions expiring within `hours`, soonest first (the seed's troubleshooting query), at most MAX_LISTED_EXPIRING listed. */
export async function expiringWithin(input: ExpirationSources, now: Date, hours: number) {
  // Flat memory: the soonest MAX_LISTED_EXPIRING are kept, sorted now and then, the rest counted.
  let listed: StoredSubscription[] = [];
  let count = 0;
  const sort = () =>
    listed
      .sort((a, b) => a.expirationDateTime.getTime() - b.expirationDateTime.getTime())
      .slice(0, MAX_LISTED_EXPIRING);
  for await (const page of input.expiringBefore(new Date(now.getTime() + hours * HOUR_MS + 1))) {
    count += page.length;
    listed.push(...page);
    if (listed.length > 2 * MAX_LISTED_EXPIRING) listed = sort();
  }
  listed = sort();
  return {
    hours,
    count,
    truncated: count > listed.length,
    subscriptions: listed.map((s) => ({
      id: s.id,
      resource: s.resource,
      state: s.state,
      expiration_date_time: s.expirationDateTime.toISOString(),
      hours_left: Math.round(((s.expirationDateTime.getTime() - now.getTime()) / HOUR_MS) * 10) / 10,
      consecutive_failures: s.consecutiveFailures,
    })),
  };
}
