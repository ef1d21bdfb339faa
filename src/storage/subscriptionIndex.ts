import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { isRowGone } from '../renewal/errors';
import { type Attention, ATTENTION_KINDS, type AttentionKind } from '../renewal/status/attentionKinds';
import type { CensusIndex } from '../renewal/status/censusPorts';
import type { CensusSummary } from '../renewal/status/summary';
import { canBeKey } from '../renewal/subscription';
import { ATTENTION_PARTITION, attentionRowKey, fromAttentionEntity, toAttentionEntity } from './attentionRows';
import { fromSummaryEntity, SUMMARY_KEYS, toSummaryEntity } from './summaryRow';
import { explainedTable } from './tableClient';

// A lookup by id is a point read: the partition comes from the id. Sixteen partitions spread the
// writes (one partition serves about 2,000 entities a second: Scalability targets for Table storage).
const ID_SHARDS = 16;
// The status reads this many entries at most (one page); more is said, not listed.
export const MAX_ATTENTION_READ = 1000;

/**
 * The index table (SUBSCRIPTION_INDEX_TABLE): what the status, the lifecycle endpoint and adopt read
 * instead of scanning every subscription row.
 * - `ids-0` … `ids-f`: one entry per subscription id, naming the partition of its row;
 * - `attention`: the subscriptions that need a person (src/renewal/status/attention.ts);
 * - `summary`: the census, one row (src/renewal/status/summary.ts).
 */
export class SubscriptionIndex implements CensusIndex {
  constructor(client: TableClient) {
    ({ table: this.table, ensureExists: this.ensureExists } = explainedTable(client));
  }

  private readonly table: TableClient;

  /** Creates the table when it does not exist yet (once per process, and again once found missing). */
  readonly ensureExists: () => Promise<void>;

  /** The partition the row of subscription `id` is in, as the index says; undefined when it has no entry. */
  async locate(id: string): Promise<{ partitionKey: string; etag: string } | undefined> {
    if (!canBeKey(id)) return undefined;
    const entity = await this.get(idPartition(id), id);
    if (!entity || typeof entity.subscriptionPartition !== 'string') return undefined;
    return { partitionKey: entity.subscriptionPartition, etag: typeof entity.etag === 'string' ? entity.etag : '*' };
  }

  /** Records that subscription `id` has its row in `partitionKey` (written before the row is). */
  async point(id: string, partitionKey: string): Promise<void> {
    if (!canBeKey(id)) return;
    await this.table.upsertEntity(
      { partitionKey: idPartition(id), rowKey: id, subscriptionPartition: partitionKey },
      'Replace',
    );
  }

  /** Removes the entry of `id` (after its row is deleted); with `etag`, only if nobody rewrote it since. */
  async unpoint(id: string, etag?: string): Promise<void> {
    if (!canBeKey(id)) return;
    await this.delete(idPartition(id), id, etag);
  }

  /** Records a problem (written before the failure it reports, so a crash can only leave a false alarm). */
  async flag(attention: Attention): Promise<void> {
    await this.table.upsertEntity(toAttentionEntity(attention), 'Replace');
  }

  /** Removes one problem (after the success that settles it); with `etag`, only if nobody rewrote it since. */
  async unflag(kind: AttentionKind, partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    await this.delete(ATTENTION_PARTITION, attentionRowKey(kind, partitionKey, rowKey), etag);
  }

  /** Removes every problem of one row (it was recreated under another id, or removed). */
  async unflagAll(partitionKey: string, rowKey: string): Promise<void> {
    await Promise.all(ATTENTION_KINDS.map((kind) => this.unflag(kind, partitionKey, rowKey)));
  }

  /** The problems recorded, at most `max` (one page of the one partition); `more` when there are others. */
  async attention(max = MAX_ATTENTION_READ): Promise<{ entries: (Attention & { etag: string })[]; more: boolean }> {
    const entries: (Attention & { etag: string })[] = [];
    const pages = this.table
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${ATTENTION_PARTITION}` } })
      .byPage({ maxPageSize: Math.min(max, 1000) });
    for await (const page of pages) {
      for (const entity of page) {
        const entry = fromAttentionEntity(entity);
        if (entry) entries.push(entry);
      }
      if (entries.length >= max)
        return { entries: entries.slice(0, max), more: entries.length > max || page.continuationToken !== undefined };
    }
    return { entries, more: false };
  }

  /** Every problem recorded, a page at a time (the census reconciles them all). */
  async *allAttention(): AsyncIterable<(Attention & { etag: string })[]> {
    const pages = this.table
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${ATTENTION_PARTITION}` } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages)
      yield page.map((entity) => fromAttentionEntity(entity as Record<string, unknown>)).filter((e) => e !== undefined);
  }

  async readSummary(): Promise<CensusSummary | undefined> {
    const entity = await this.get(SUMMARY_KEYS.partitionKey, SUMMARY_KEYS.rowKey);
    return entity ? fromSummaryEntity(entity) : undefined;
  }

  async writeSummary(summary: CensusSummary): Promise<void> {
    await this.table.upsertEntity(toSummaryEntity(summary), 'Replace');
  }

  async dropSummary(): Promise<void> {
    await this.delete(SUMMARY_KEYS.partitionKey, SUMMARY_KEYS.rowKey);
  }

  private async get(partitionKey: string, rowKey: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (error) {
      if (isRowGone(error)) return undefined;
      throw error;
    }
  }

  private async delete(partitionKey: string, rowKey: string, etag?: string): Promise<void> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey, etag ? { etag } : undefined);
    } catch (error) {
      // Gone already, or rewritten since it was read (412): either way not ours to delete.
      if (isRowGone(error) || (error as { statusCode?: number }).statusCode === 412) return;
      throw error;
    }
  }
}

/** The partition of `id`'s entry: a hash, so any id (a GUID, or a RowKey typed by hand) spreads evenly. */
export function idPartition(id: string): string {
  const shard = createHash('sha256').update(id).digest()[0]! % ID_SHARDS;
  return `ids-${shard.toString(16)}`;
}
