import { odata, type TableClient } from '@azure/data-tables';
import type { StoredRow } from '../renewal/subscription';
import { type SubscriptionEntity, toStoredRow } from './subscriptionRow';

/**
 * Rows whose subscription may expire before `horizon`, selected by the service, so a run reads what
 * is due, not the whole table: a DateTime before the horizon, and the rows awaiting a recreation
 * (expired) or a lifecycle action whatever their expiration, in one query. A date typed by hand as
 * text is not compared here: the census (src/renewal/status/runCensus.ts) makes it a DateTime within 15
 * minutes, and hands it to the renewal queue if it is due by then. No filter could select the text
 * dates alone on both the service and Azurite: the service compares only values of one type (a
 * string literal never matches a DateTime), Azurite compares a DateTime as its ISO text, so such a
 * pass read every due DateTime row twice there. The caller still checks each row's state and
 * expiration. Rows with no expiration at all are not read here: the census reports them.
 */
export function dueSelections(table: TableClient, horizon: Date, pageSize: number): AsyncIterable<StoredRow[]>[] {
  return [
    duePass(
      table,
      pageSize,
      odata`expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
      // Azurite also returns text dates that parse (it compares across types; the service does not):
      // left to the census on both, so what a run does here is what it does on Azure.
      (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity),
    ),
  ];
}

/** What the 10-minute timer reads (see SubscriptionStore): one query; text dates are the census's, as above. */
export function shortLivedSelections(
  table: TableClient,
  horizon: Date,
  pageSize: number,
): AsyncIterable<StoredRow[]>[] {
  return [
    duePass(
      table,
      pageSize,
      odata`shortLived eq ${true} or expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
      (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity),
    ),
  ];
}

async function* duePass(
  table: TableClient,
  pageSize: number,
  filter: string,
  keep: (entity: SubscriptionEntity) => boolean,
): AsyncIterable<StoredRow[]> {
  const entities = table.listEntities<SubscriptionEntity>({ queryOptions: { filter } });
  for await (const page of entities.byPage({ maxPageSize: pageSize })) {
    const rows = page.filter(keep).map((entity) => toStoredRow(entity));
    if (rows.length > 0) yield rows;
  }
}

/** Marked expired (to be recreated) or holding a lifecycle event to act on. */
function awaitsWork(entity: SubscriptionEntity): boolean {
  return (
    entity.state === 'expired' ||
    (typeof entity.pendingLifecycleEvent === 'string' && entity.pendingLifecycleEvent !== '')
  );
}
