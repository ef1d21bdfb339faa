import { odata, type TableClient } from '@azure/data-tables';
import type { StoredRow, StoredSubscription } from '../renewal/subscription';
import type { ListQuery } from '../renewal/subscriptionCatalogue';
import { type SubscriptionEntity, toStoredRow } from './subscriptionRow';

const PAGE_SIZE = 1000;

/**
 * Active or expired rows whose DateTime expiration is before `at`, a page at a time: a filter the
 * service applies, so what is read follows what matches. (A date typed as text is not compared: the
 * census makes it a DateTime within 15 minutes.)
 */
export async function* expiringBefore(table: TableClient, at: Date): AsyncIterable<StoredSubscription[]> {
  const pages = table
    .listEntities<SubscriptionEntity>({ queryOptions: { filter: odata`expirationDateTime lt ${at}` } })
    .byPage({ maxPageSize: PAGE_SIZE });
  for await (const page of pages) {
    const rows = page
      .filter((entity) => entity.expirationDateTime instanceof Date)
      .map((entity) => toStoredRow(entity));
    yield rows.flatMap((row) => (row.ok ? [row.subscription] : []));
  }
}

export type { ListQuery };

/**
 * One request to the service: up to `limit` rows that match, and the service's own continuation
 * token when there are more. The service filters what it can (partition, expiration, state expired,
 * failures); what only the app can tell (a row with no state is active, a count typed as Int64) is
 * checked on the rows read, so a page may hold fewer than `limit` rows and still have a continuation.
 */
export async function listPage(
  table: TableClient,
  query: ListQuery,
): Promise<{ rows: StoredRow[]; continuation: string | undefined }> {
  const filters: string[] = [];
  if (query.partitionKey !== undefined) filters.push(odata`PartitionKey eq ${query.partitionKey}`);
  if (query.expiringBefore) filters.push(odata`expirationDateTime lt ${query.expiringBefore}`);
  if (query.state === 'expired') filters.push(odata`state eq ${'expired'}`);
  if (query.failing) filters.push(odata`consecutiveFailures gt ${0}`);
  // The home tenant's rows have no tenantId, which no filter can ask for: they are kept below.
  if (typeof query.tenantId === 'string') filters.push(odata`tenantId eq ${query.tenantId}`);
  const filter = filters.length > 0 ? filters.map((f) => `(${f})`).join(' and ') : undefined;
  const pages = table.listEntities<SubscriptionEntity>({ queryOptions: filter ? { filter } : {} }).byPage({
    maxPageSize: query.limit,
    ...(query.continuation ? { continuationToken: query.continuation } : {}),
  });
  for await (const page of pages) {
    const rows = page
      .filter((entity) => !query.expiringBefore || entity.expirationDateTime instanceof Date)
      .map((entity) => toStoredRow(entity))
      .filter((row) => keeps(row, query));
    return { rows, continuation: page.continuationToken };
  }
  return { rows: [], continuation: undefined };
}

function keeps(row: StoredRow, query: ListQuery): boolean {
  if (!row.ok)
    return query.state === undefined && !query.failing && !query.expiringBefore && query.tenantId === undefined;
  const s = row.subscription;
  if (query.tenantId !== undefined && (s.tenantId ?? null) !== query.tenantId) return false;
  if (query.state && s.state !== query.state) return false;
  if (query.failing && s.consecutiveFailures === 0) return false;
  if (query.expiringBefore && s.expirationDateTime.getTime() >= query.expiringBefore.getTime()) return false;
  return true;
}
