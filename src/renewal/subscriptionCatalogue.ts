// The port the manual operations (src/operations) read the subscription table through, beyond a
// renewal's store (storage/subscriptionCatalogue.ts implements it).
import type { StoredRow } from './subscription';

/** What a page of the list is asked for (src/operations/listPage.ts reads and checks it). */
export interface ListQuery {
  limit: number;
  continuation?: string;
  partitionKey?: string;
  state?: 'active' | 'expired';
  expiringBefore?: Date;
  failing?: boolean;
  /** Only this customer tenant's rows; null: only the home tenant's (rows without a tenant). */
  tenantId?: string | null;
}

/** The subscription table as the manual operations (src/operations) read it, beyond a renewal's store. */
export interface SubscriptionCatalogue {
  /** Creates the tables when they do not exist yet (once per process, and again once found missing). */
  ensureExists(): Promise<void>;
  /**
   * One page of the list: one request to the service, whatever the table's size, filtered on the
   * service where it can; the service's own continuation token when there are more.
   */
  listPage(query: ListQuery): Promise<{ rows: StoredRow[]; continuation: string | undefined }>;
  /** The ids among `ids` that the table holds: point reads in the id index, then the table for the ids it does not know. */
  storedAmong(ids: string[]): Promise<Set<string>>;
  /** The keys of the rows an attention entry marks expired (every recreation records one before it starts). */
  expiredAttention(): Promise<{ partitionKey: string; rowKey: string }[]>;
  /** True once a census has gone over the table: the id index is then complete. */
  indexed(): Promise<boolean>;
  /** Every row, as many to a page as the service gives. */
  allPages(): AsyncIterable<StoredRow[]>;
  /** The ids of the rows of a customer tenant (a filter on the service; offboarding reads it). */
  idsInTenant(tenantId: string): Promise<string[]>;
}
