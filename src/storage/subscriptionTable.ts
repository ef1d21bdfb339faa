import { odata, type TableClient } from '@azure/data-tables';
import { isRowGone } from '../renewal/errors';
import type { DefinitionChanges, SubscriptionStore } from '../renewal/ports';
import { MALFORMED_ROW } from '../renewal/status/attentionKinds';
import type { CensusMend, CensusRow, CensusRows } from '../renewal/status/censusPorts';
import type {
  MalformedRow,
  PendingLifecycleEvent,
  RenewalFailure,
  StoredRow,
  StoredSubscription,
  SubscriptionDefinition,
} from '../renewal/subscription';
import { attentionBase } from './attentionRows';
import { mergeWithRetry, type Tables } from './conditionalMerge';
import { dueSelections, shortLivedSelections } from './dueSelections';
import type { SubscriptionIndex } from './subscriptionIndex';
import { claim, leaseMany, release, releaseIfOurs } from './subscriptionLeases';
import { find, findIndexed, read } from './subscriptionLookup';
import { beginRecreate, recordRecreateFailure, replace } from './subscriptionRecreation';
import { recordFailure, saveDefinition, saveRenewal } from './subscriptionRenewals';
import { INDEXED, newRowProperties, type SubscriptionEntity, toStoredRow } from './subscriptionRow';
import { createTableOnce, explainingErrors } from './tableClient';

const PAGE_SIZE = 100;
// The service's largest page: a census reads every row, so fewer round trips matter most.
const CENSUS_PAGE_SIZE = 1000;
// The service's maximum: a run reads only due rows, so fewer round trips matter more than page size.
const DUE_PAGE_SIZE = 1000;

/**
 * The subscriptions table (README, "Table schema"): the store the ports in renewal/ports.ts describe.
 * Each kind of write lives in a file of its own (subscriptionRenewals, subscriptionLeases,
 * subscriptionRecreation, subscriptionLookup, dueSelections, over conditionalMerge); this class is
 * what the domain sees of them. It is longer than our ~200 lines because it is one list: a method
 * of a few delegating lines for each of the two ports' methods (SubscriptionStore, CensusRows).
 */
export class SubscriptionTable implements SubscriptionStore, CensusRows {
  /**
   * `duePageSize`: rows a page when reading due rows (the service's maximum unless a test says less).
   * `index`: where lookups by id and the problems are kept (without one, as in some tests, lookups scan).
   */
  constructor(
    table: TableClient,
    private readonly duePageSize = DUE_PAGE_SIZE,
    readonly index?: SubscriptionIndex,
  ) {
    // Every error names this table and says what to do; a table found missing is created again next
    // time, and the census of the rows it held is dropped (the next status takes one of the new table).
    this.table = explainingErrors(table, async () => {
      once.forget();
      await index?.dropSummary();
    });
    this.tables = { table: this.table, index };
    const once = createTableOnce(this.table);
    // The index table is created with it: every writer of this table writes the index too.
    this.ensureExists = async () => {
      await Promise.all([once(), index?.ensureExists()]);
    };
  }

  private readonly table: TableClient;
  private readonly tables: Tables;

  /** The table itself, for the queries that live in files of their own (the list, adopt, the status's expiring rows). */
  get client(): TableClient {
    return this.table;
  }

  /** Creates the table when it does not exist yet (once per process, and again once found missing). */
  readonly ensureExists: () => Promise<void>;

  async *pages(): AsyncIterable<StoredRow[]> {
    for await (const page of this.table.listEntities<SubscriptionEntity>().byPage({ maxPageSize: PAGE_SIZE })) {
      yield page.map((entity) => toStoredRow(entity));
    }
  }

  async *censusPages(): AsyncIterable<CensusRow[]> {
    for await (const page of this.table.listEntities<SubscriptionEntity>().byPage({ maxPageSize: CENSUS_PAGE_SIZE })) {
      yield page.map((entity) => ({
        row: toStoredRow(entity),
        etag: entity.etag ?? '*',
        idIndexed: entity.idIndexed === INDEXED.idIndexed,
        ...(typeof entity.expirationDateTime === 'string' ? { expirationText: entity.expirationDateTime } : {}),
      }));
    }
  }

  async mend(partitionKey: string, rowKey: string, mend: CensusMend, etag: string): Promise<void> {
    await this.table.updateEntity({ partitionKey, rowKey, ...mend }, 'Merge', { etag });
  }

  async *partitionPages(partitionKey: string): AsyncIterable<StoredRow[]> {
    const entities = this.table.listEntities<SubscriptionEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
    });
    for await (const page of entities.byPage({ maxPageSize: PAGE_SIZE }))
      yield page.map((entity) => toStoredRow(entity));
  }

  /** See dueSelections (storage/dueSelections.ts): the rows that may be due, as one stream. */
  async *duePages(horizon: Date): AsyncIterable<StoredRow[]> {
    for (const selection of this.dueSelections(horizon)) yield* selection;
  }

  dueSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return dueSelections(this.table, horizon, this.duePageSize);
  }

  shortLivedSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return shortLivedSelections(this.table, horizon, this.duePageSize);
  }

  read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined> {
    return read(this.tables, partitionKey, rowKey);
  }

  saveRenewal(
    subscription: StoredSubscription,
    expiration: Date,
    at: Date,
    shortLived: boolean,
  ): Promise<'saved' | 'newer-kept'> {
    return saveRenewal(this.tables, subscription, expiration, at, shortLived);
  }

  recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void> {
    return recordFailure(this.tables, subscription, failure);
  }

  find(id: string): Promise<StoredSubscription | undefined> {
    return find(this.tables, id);
  }

  /** The row of `id` by the index alone (no scan): `unindexed` when the index has no entry for it. */
  findIndexed(id: string): Promise<StoredSubscription | undefined | 'unindexed'> {
    return findIndexed(this.tables, id);
  }

  /** Records that a run found this row malformed, so the status names it at once. */
  async flagMalformed(row: MalformedRow, at: Date): Promise<void> {
    await this.index?.flag({
      kind: MALFORMED_ROW,
      partitionKey: row.partitionKey,
      rowKey: row.rowKey,
      at,
      detail: row.problem,
    });
  }

  claim(
    subscription: StoredSubscription,
    until: Date,
    stillWanted: (current: StoredSubscription) => boolean,
    ours?: Date,
  ): Promise<StoredSubscription | undefined> {
    return claim(this.tables, subscription, until, stillWanted, ours);
  }

  leaseMany(rows: StoredSubscription[], until: Date | undefined): Promise<StoredSubscription[]> {
    return leaseMany(this.tables, rows, until);
  }

  release(subscription: StoredSubscription): Promise<void> {
    return release(this.tables, subscription);
  }

  releaseIfOurs(subscription: StoredSubscription, ours: Date): Promise<void> {
    return releaseIfOurs(this.tables, subscription, ours);
  }

  beginRecreate(subscription: StoredSubscription, at: Date, leaseUntil: Date): Promise<StoredSubscription> {
    return beginRecreate(this.tables, subscription, at, leaseUntil);
  }

  recordRecreateFailure(
    subscription: StoredSubscription,
    failure: RenewalFailure,
    mayHaveCreated: boolean,
  ): Promise<void> {
    return recordRecreateFailure(this.tables, subscription, failure, mayHaveCreated);
  }

  replace(
    old: StoredSubscription,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
  ): Promise<void> {
    return replace(this.tables, old, definition, created, at, shortLived);
  }

  async insert(
    partitionKey: string,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
    tenantId?: string,
  ): Promise<void> {
    await this.index?.point(created.id, partitionKey);
    await this.table.createEntity({
      partitionKey,
      rowKey: created.id,
      ...newRowProperties(definition, created, at, shortLived, tenantId),
      ...(this.index ? INDEXED : {}),
    });
  }

  saveDefinition(
    subscription: StoredSubscription,
    changes: DefinitionChanges,
    renewed?: { expiration: Date; at: Date; shortLived: boolean },
  ): Promise<void> {
    return saveDefinition(this.tables, subscription, changes, renewed);
  }

  async remove(subscription: StoredSubscription): Promise<void> {
    try {
      await this.table.deleteEntity(subscription.partitionKey, subscription.id);
    } catch (error) {
      if (!isRowGone(error)) throw error;
    }
    // After the row: an entry left by a crash here reads as not found, and is removed then.
    await this.index?.unpoint(subscription.id);
    await this.index?.unflagAll(subscription.partitionKey, subscription.id);
  }

  async recordPending(
    subscription: StoredSubscription,
    event: PendingLifecycleEvent,
    at: Date,
  ): Promise<StoredSubscription> {
    const written = await mergeWithRetry(
      this.tables,
      subscription,
      () => ({ pendingLifecycleEvent: event, lastLifecycleEventAt: at }),
      () => false,
    );
    return { ...written!.row, pendingLifecycleEvent: event, etag: written!.etag };
  }

  async recordMissed(subscription: StoredSubscription, at: Date): Promise<void> {
    await this.index?.flag({ ...attentionBase(subscription), kind: 'missed', at });
    await mergeWithRetry(
      this.tables,
      subscription,
      () => ({ lastMissedAt: at, lastLifecycleEventAt: at }),
      () => false,
    );
  }
}
