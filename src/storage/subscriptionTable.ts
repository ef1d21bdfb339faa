import { odata, type TableClient } from '@azure/data-tables';
import { MalformedRowError } from '../renewal/errors';
import type { DefinitionChanges, SubscriptionStore } from '../renewal/ports';
import type {
  PendingLifecycleEvent,
  RenewalFailure,
  StoredRow,
  StoredSubscription,
  SubscriptionDefinition,
} from '../renewal/subscription';
import type { Attention } from '../status/attention';
import type { MalformedRow } from '../renewal/subscription';
import type { SubscriptionIndex } from './subscriptionIndex';
import { failureProperties, newRowProperties, toStoredRow, type SubscriptionEntity } from './subscriptionRow';
import { canBeKey } from './keys';
import { createTableOnce, explainingErrors, isConflict } from './tableClient';
import { TableStorageError } from './tableStorageError';

const PAGE_SIZE = 100;
// The service's maximum: a run reads only due rows, so fewer round trips matter more than page size.
const DUE_PAGE_SIZE = 1000;
// Enough for any real contention (a timer run and a manual run); a row that keeps changing is a bug.
const MAX_WRITE_ATTEMPTS = 5;
// Merge cannot delete a property: an empty string is how a date or a mark is cleared.
const CLEARED = '';
/** On a row whose id the index knows (written by this version, or backfilled by the census). */
export const INDEXED = { idIndexed: true } as const;

/** The subscriptions table (README, "Table schema"). */
export class SubscriptionTable implements SubscriptionStore {
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
    const once = createTableOnce(this.table);
    // The index table is created with it: every writer of this table writes the index too.
    this.ensureExists = async () => {
      await Promise.all([once(), index?.ensureExists()]);
    };
  }

  private readonly table: TableClient;

  /** The table itself, for the queries that live in files of their own (census, list). */
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

  async *partitionPages(partitionKey: string): AsyncIterable<StoredRow[]> {
    const entities = this.table.listEntities<SubscriptionEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } });
    for await (const page of entities.byPage({ maxPageSize: PAGE_SIZE })) yield page.map((entity) => toStoredRow(entity));
  }

  /**
   * Rows whose subscription may expire before `horizon`, selected by the service, so a run reads what
   * is due, not the whole table: a DateTime before the horizon, and the rows awaiting a recreation
   * (expired) or a lifecycle action whatever their expiration, in one query. A date typed by hand as
   * text is not compared here: the census (src/status/runCensus.ts) makes it a DateTime within 15
   * minutes, and hands it to the renewal queue if it is due by then. No filter could select the text
   * dates alone on both the service and Azurite: the service compares only values of one type (a
   * string literal never matches a DateTime), Azurite compares a DateTime as its ISO text, so such a
   * pass read every due DateTime row twice there. The caller still checks each row's state and
   * expiration. Rows with no expiration at all are not read here: the census reports them.
   */
  async *duePages(horizon: Date): AsyncIterable<StoredRow[]> {
    for (const selection of this.dueSelections(horizon)) yield* selection;
  }

  /** The query of duePages, as the selections a run reads at once (one today). */
  dueSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return [
      this.duePass(
        odata`expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
        // Azurite also returns text dates that parse (it compares across types; the service does not):
        // left to the census on both, so what a run does here is what it does on Azure.
        (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity),
      ),
    ];
  }

  /** What the 10-minute timer reads (see SubscriptionStore): one query; text dates are the census's, as above. */
  shortLivedSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return [
      this.duePass(
        odata`shortLived eq ${true} or expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
        (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity),
      ),
    ];
  }

  private async *duePass(filter: string, keep: (entity: SubscriptionEntity) => boolean): AsyncIterable<StoredRow[]> {
    const entities = this.table.listEntities<SubscriptionEntity>({ queryOptions: { filter } });
    for await (const page of entities.byPage({ maxPageSize: this.duePageSize })) {
      const rows = page.filter(keep).map((entity) => toStoredRow(entity));
      if (rows.length > 0) yield rows;
    }
  }

  /** One row, or undefined when it is gone (deleted since it was queued). */
  async read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined> {
    try {
      return toStoredRow(await this.table.getEntity<SubscriptionEntity>(partitionKey, rowKey));
    } catch (error) {
      if (isRowNotFound(error)) return undefined;
      throw error;
    }
  }

  async saveRenewal(subscription: StoredSubscription, expiration: Date, at: Date, shortLived: boolean): Promise<'saved' | 'newer-kept'> {
    const saved = await this.mergeWithRetry(
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
        await this.index?.unflag('failing', subscription.partitionKey, subscription.id).catch(() => undefined);
      }
      return 'saved';
    }
    // The later expiration stays, but the lease on the row may still be ours: give it back, or a
    // lifecycle event arriving meanwhile would wait for it to lapse (a failure here only means that wait).
    if (subscription.leaseUntil) await this.releaseIfOurs(subscription, subscription.leaseUntil).catch(() => undefined);
    return 'newer-kept';
  }

  async recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void> {
    // The problem is on the index first: a crash between the two writes leaves a false alarm, never a hidden one.
    const attention = failingAttention(subscription, failure, subscription.consecutiveFailures + 1);
    await this.index?.flag(attention);
    const written = await this.mergeWithRetry(
      subscription,
      (current) => ({ ...failureProperties(failure), consecutiveFailures: current.consecutiveFailures + 1, leaseUntil: CLEARED }),
      (current) => renewedMeanwhile(subscription, current, failure.at),
    );
    // Renewed meanwhile: no failure was recorded, so there is nothing to report.
    if (!written) await this.index?.unflag('failing', subscription.partitionKey, subscription.id);
    else if (written.row.consecutiveFailures !== subscription.consecutiveFailures) {
      await this.index?.flag(failingAttention(written.row, failure, written.row.consecutiveFailures + 1));
    }
  }

  /**
   * The row of a Graph subscription id: a point read in the index, then one of the row. A row the
   * index does not know (written by hand or by an earlier version, or an entry left pointing at a
   * row since removed) is looked for across partitions once, and the entry written for next time.
   */
  async find(id: string): Promise<StoredSubscription | undefined> {
    if (!canBeKey(id)) return undefined;
    const entry = await this.index?.locate(id);
    if (entry) {
      const row = await this.read(entry.partitionKey, id);
      if (row) return mustBeReadable(row);
      await this.index!.unpoint(id, entry.etag);
    }
    const found = await this.scanFor(id);
    if (found && this.index) await this.index.point(id, found.partitionKey).catch(() => undefined);
    return found;
  }

  /** The row of `id` by the index alone (no scan): `unindexed` when the index has no entry for it. */
  async findIndexed(id: string): Promise<StoredSubscription | undefined | 'unindexed'> {
    const entry = await this.index?.locate(id);
    if (!entry) return 'unindexed';
    const row = await this.read(entry.partitionKey, id);
    return row ? mustBeReadable(row) : 'unindexed';
  }

  private async scanFor(id: string): Promise<StoredSubscription | undefined> {
    // RowKey alone spans partitions: the service reads every partition; a Graph id is unique, so at most one row matches.
    for await (const entity of this.table.listEntities<SubscriptionEntity>({ queryOptions: { filter: odata`RowKey eq ${id}` } })) {
      return mustBeReadable(toStoredRow(entity));
    }
    return undefined;
  }

  /** Records that a run found this row malformed, so the status names it at once. */
  async flagMalformed(row: MalformedRow, at: Date): Promise<void> {
    await this.index?.flag({ kind: 'invalid', partitionKey: row.partitionKey, rowKey: row.rowKey, at, detail: row.problem });
  }

  async claim(
    subscription: StoredSubscription,
    until: Date,
    stillWanted: (current: StoredSubscription) => boolean,
    ours?: Date,
  ): Promise<StoredSubscription | undefined> {
    const now = new Date();
    // A lease is told apart by its end time: the one `ours` names is this worker's own.
    const busy = (row: StoredSubscription) =>
      row.leaseUntil !== undefined && row.leaseUntil.getTime() > now.getTime() && row.leaseUntil.getTime() !== ours?.getTime();
    if (busy(subscription)) return undefined;
    const written = await this.mergeWithRetry(
      subscription,
      () => ({ leaseUntil: until }),
      (current) => busy(current) || !stillWanted(current),
    );
    return written ? { ...written.row, leaseUntil: until, etag: written.etag } : undefined;
  }

  async leaseMany(rows: StoredSubscription[], until: Date | undefined): Promise<StoredSubscription[]> {
    if (rows.length === 0) return [];
    let response;
    try {
      response = await this.table.submitTransaction(
        rows.map((row) => ['update', { partitionKey: row.partitionKey, rowKey: row.id, leaseUntil: until ?? CLEARED }, 'Merge', { etag: row.etag }]),
      );
    } catch {
      // A row changed since it was read (412), the service refused the batch, or no answer came:
      // a transaction is all or nothing, so nothing was written. The caller goes row by row.
      return [];
    }
    // The sub-responses come in the order of the actions, each with its row's new ETag.
    return Promise.all(
      rows.map(async (row, index) => {
        const etag = response.subResponses[index]?.etag ?? (await this.table.getEntity(row.partitionKey, row.id)).etag;
        return { ...row, leaseUntil: until, etag };
      }),
    );
  }

  async release(subscription: StoredSubscription): Promise<void> {
    await this.mergeWithRetry(subscription, () => ({ leaseUntil: CLEARED }), () => false);
  }

  async releaseIfOurs(subscription: StoredSubscription, ours: Date): Promise<void> {
    // Re-read: the row may have changed since it was leased (a lifecycle event); the lease may not.
    await this.mergeWithRetry(
      subscription,
      () => ({ leaseUntil: CLEARED }),
      (current) => current.leaseUntil?.getTime() !== ours.getTime(),
    );
  }

  async beginRecreate(subscription: StoredSubscription, at: Date, leaseUntil: Date): Promise<StoredSubscription> {
    // Reported before it is marked: adopt finds an interrupted recreation among these entries.
    await this.index?.flag(expiredAttention(subscription, at, subscription.lastFailure));
    // Marked expired too: a worker that dies from here on leaves a row the next run recreates.
    const written = await this.mergeWithRetry(
      subscription,
      (current) => ({ recreateStartedAt: at, leaseUntil, state: 'expired', ...(current.state === 'expired' ? {} : { expiredAt: at }) }),
      () => false,
    );
    return { ...written!.row, state: 'expired', recreateStartedAt: at, leaseUntil, etag: written!.etag };
  }

  async recordRecreateFailure(subscription: StoredSubscription, failure: RenewalFailure, mayHaveCreated: boolean): Promise<void> {
    await this.index?.flag(expiredAttention(subscription, failure.at, failure));
    await this.mergeWithRetry(
      subscription,
      (current) => ({
        ...failureProperties(failure),
        state: 'expired',
        ...(current.state === 'expired' ? {} : { expiredAt: failure.at }),
        consecutiveFailures: current.consecutiveFailures + 1,
        leaseUntil: CLEARED,
        ...(mayHaveCreated ? {} : { recreateStartedAt: CLEARED }),
      }),
      () => false,
    );
  }

  async replace(
    old: StoredSubscription,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
  ): Promise<void> {
    // What arrived on the old row while Graph was creating its successor (a `missed`) is kept.
    const current = toStoredRow(await this.table.getEntity<SubscriptionEntity>(old.partitionKey, old.id));
    const lastMissedAt = current.ok ? current.subscription.lastMissedAt : old.lastMissedAt;
    // The new id is findable before its row exists; an entry whose row never came reads as not found.
    await this.index?.point(created.id, old.partitionKey);
    // One transaction (same partition): the old row goes and its successor arrives together, or
    // neither does. A transaction's delete takes no ETag (SDK); the caller's lease keeps other runs off.
    await this.table.submitTransaction([
      ['delete', { partitionKey: old.partitionKey, rowKey: old.id }],
      [
        'create',
        {
          partitionKey: old.partitionKey,
          rowKey: created.id,
          ...newRowProperties(definition, created, at, shortLived),
          replaces: old.id,
          recreatedAt: at,
          ...(lastMissedAt ? { lastMissedAt } : {}),
          ...(this.index ? INDEXED : {}),
        },
      ],
    ]);
    if (!this.index) return;
    // The old id is gone, and so are its problems; a `missed` carried over is the new id's now.
    await Promise.all([this.index.unpoint(old.id), this.index.unflagAll(old.partitionKey, old.id)]).catch(() => undefined);
    if (lastMissedAt && lastMissedAt.getTime() > at.getTime() - 24 * 3_600_000) {
      await this.index
        .flag({ kind: 'missed', partitionKey: old.partitionKey, rowKey: created.id, resource: definition.resource, at: lastMissedAt, expirationDateTime: created.expirationDateTime, state: 'active' })
        .catch(() => undefined);
    }
  }

  async insert(
    partitionKey: string,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
  ): Promise<void> {
    await this.index?.point(created.id, partitionKey);
    await this.table.createEntity({
      partitionKey,
      rowKey: created.id,
      ...newRowProperties(definition, created, at, shortLived),
      ...(this.index ? INDEXED : {}),
    });
  }

  async saveDefinition(
    subscription: StoredSubscription,
    changes: DefinitionChanges,
    renewed?: { expiration: Date; at: Date; shortLived: boolean },
  ): Promise<void> {
    // Graph holds the new values already: they are written whatever else changed on the row meanwhile
    // (the caller's lease kept renewals off it, so the expiration Graph answered is the latest).
    const expiration = renewed
      ? { expirationDateTime: renewed.expiration, lastRenewedAt: renewed.at, consecutiveFailures: 0, shortLived: renewed.shortLived }
      : {};
    const written = await this.mergeWithRetry(subscription, () => ({ ...changes, ...expiration, leaseUntil: CLEARED }), () => false);
    // A renewal with it settles the failures, as saveRenewal's does.
    if (renewed && (written?.row.consecutiveFailures ?? 0) + subscription.consecutiveFailures > 0) {
      await this.index?.unflag('failing', subscription.partitionKey, subscription.id).catch(() => undefined);
    }
  }

  async remove(subscription: StoredSubscription): Promise<void> {
    try {
      await this.table.deleteEntity(subscription.partitionKey, subscription.id);
    } catch (error) {
      if (!isRowNotFound(error)) throw error;
    }
    // After the row: an entry left by a crash here reads as not found, and is removed then.
    await this.index?.unpoint(subscription.id);
    await this.index?.unflagAll(subscription.partitionKey, subscription.id);
  }

  async recordPending(subscription: StoredSubscription, event: PendingLifecycleEvent, at: Date): Promise<StoredSubscription> {
    const written = await this.mergeWithRetry(subscription, () => ({ pendingLifecycleEvent: event, lastLifecycleEventAt: at }), () => false);
    return { ...written!.row, pendingLifecycleEvent: event, etag: written!.etag };
  }

  async recordMissed(subscription: StoredSubscription, at: Date): Promise<void> {
    await this.index?.flag({ ...attentionBase(subscription), kind: 'missed', at });
    await this.mergeWithRetry(subscription, () => ({ lastMissedAt: at, lastLifecycleEventAt: at }), () => false);
  }

  /**
   * Merges `properties` under the row's ETag. On a conflict it re-reads the row and tries again,
   * unless `outdated` says the other writer's change makes ours pointless. Returns the row it wrote
   * over and the new ETag, or undefined when it did not write.
   */
  private async mergeWithRetry(
    subscription: StoredSubscription,
    properties: (current: StoredSubscription) => Record<string, unknown>,
    outdated: (current: StoredSubscription) => boolean,
  ): Promise<{ row: StoredSubscription; etag: string } | undefined> {
    let current = subscription;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.table.updateEntity(
          { partitionKey: current.partitionKey, rowKey: current.id, ...properties(current) },
          'Merge',
          { etag: current.etag },
        );
        return { row: current, etag: response.etag ?? '*' };
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
        current = await this.reread(current);
        if (outdated(current)) return undefined;
      }
    }
  }

  private async reread(subscription: StoredSubscription): Promise<StoredSubscription> {
    const entity = await this.table.getEntity<SubscriptionEntity>(subscription.partitionKey, subscription.id);
    const row = toStoredRow(entity);
    if (!row.ok) throw new Error(`Row ${subscription.partitionKey}/${subscription.id} became malformed: ${row.problem}`);
    return row.subscription;
  }
}

/** The row is not there; the table itself missing is not that (the caller must hear of it). */
function isRowNotFound(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404 && !(error instanceof TableStorageError && error.tableMissing);
}

export { MalformedRowError };

function mustBeReadable(row: StoredRow): StoredSubscription {
  if (!row.ok) throw new MalformedRowError(`Row ${row.partitionKey}/${row.rowKey} is malformed: ${row.problem}`);
  return row.subscription;
}

function attentionBase(s: StoredSubscription) {
  return { partitionKey: s.partitionKey, rowKey: s.id, resource: s.resource, expirationDateTime: s.expirationDateTime, state: s.state };
}

function failingAttention(s: StoredSubscription, failure: RenewalFailure, failures: number): Attention {
  return { ...attentionBase(s), kind: 'failing', at: failure.at, consecutiveFailures: failures, lastFailure: failure };
}

function expiredAttention(s: StoredSubscription, at: Date, failure: RenewalFailure | undefined): Attention {
  return { ...attentionBase(s), kind: 'expired', state: 'expired', at, lastFailure: failure, consecutiveFailures: s.consecutiveFailures };
}

/** Marked expired (to be recreated) or holding a lifecycle event to act on. */
function awaitsWork(entity: SubscriptionEntity): boolean {
  return entity.state === 'expired' || (typeof entity.pendingLifecycleEvent === 'string' && entity.pendingLifecycleEvent !== '');
}

/**
 * Another writer renewed the row since we read it (a later expiration, or a renewal after the
 * failure): recording the failure now would raise a false alarm.
 */
function renewedMeanwhile(read: StoredSubscription, current: StoredSubscription, failedAt: Date): boolean {
  if (current.expirationDateTime.getTime() > read.expirationDateTime.getTime()) return true;
  return current.lastRenewedAt !== undefined && current.lastRenewedAt.getTime() > failedAt.getTime();
}
