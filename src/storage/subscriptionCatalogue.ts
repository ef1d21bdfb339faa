import { odata } from '@azure/data-tables';
import type { StoredRow } from '../renewal/subscription';
import type { ListQuery, SubscriptionCatalogue } from '../renewal/subscriptionCatalogue';
import type { SubscriptionIndex } from './subscriptionIndex';
import { listPage } from './subscriptionQueries';
import { type SubscriptionEntity, toStoredRow } from './subscriptionRow';
import type { SubscriptionTable } from './subscriptionTable';

// At most 15 comparisons in one filter (Querying tables and entities, learn.microsoft.com/rest/api/storageservices).
const IDS_PER_FILTER = 15;
const PAGE_SIZE = 1000;

/** The subscription table and its index, as the manual operations read them (renewal/ports.ts). */
export class SubscriptionCatalogueTable implements SubscriptionCatalogue {
  constructor(
    private readonly subscriptions: SubscriptionTable,
    private readonly index: SubscriptionIndex,
  ) {}

  ensureExists(): Promise<void> {
    return this.subscriptions.ensureExists();
  }

  listPage(query: ListQuery): Promise<{ rows: StoredRow[]; continuation: string | undefined }> {
    return listPage(this.subscriptions.client, query);
  }

  async storedAmong(ids: string[]): Promise<Set<string>> {
    const found = await Promise.all(ids.map((id) => this.subscriptions.findIndexed(id)));
    const stored = new Set(ids.filter((_, i) => found[i] !== 'unindexed' && found[i] !== undefined));
    const unknown = ids.filter((_, i) => found[i] === 'unindexed');
    for (let i = 0; i < unknown.length; i += IDS_PER_FILTER) {
      const some = unknown.slice(i, i + IDS_PER_FILTER);
      const filter = some.map((id) => odata`RowKey eq ${id}`).join(' or ');
      for await (const entity of this.subscriptions.client.listEntities<SubscriptionEntity>({
        queryOptions: { filter },
      })) {
        stored.add(entity.rowKey);
        // Found for next time (the census would write it too).
        await this.index.point(entity.rowKey, entity.partitionKey).catch(() => undefined);
      }
    }
    return stored;
  }

  async expiredAttention(): Promise<{ partitionKey: string; rowKey: string }[]> {
    const { entries } = await this.index.attention();
    return entries.filter((e) => e.kind === 'expired').map(({ partitionKey, rowKey }) => ({ partitionKey, rowKey }));
  }

  async indexed(): Promise<boolean> {
    return (await this.index.readSummary()) !== undefined;
  }

  async idsInTenant(tenantId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const entity of this.subscriptions.client.listEntities<SubscriptionEntity>({
      queryOptions: { filter: odata`tenantId eq ${tenantId}`, select: ['RowKey'] },
    })) {
      ids.push(entity.rowKey);
    }
    return ids;
  }

  async *allPages(): AsyncIterable<StoredRow[]> {
    for await (const page of this.subscriptions.client
      .listEntities<SubscriptionEntity>()
      .byPage({ maxPageSize: PAGE_SIZE })) {
      yield page.map((entity) => toStoredRow(entity));
    }
  }
}
