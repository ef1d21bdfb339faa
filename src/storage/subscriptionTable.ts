import { odata, type TableClient } from '@azure/data-tables';
import type { DefinitionChanges, SubscriptionStore } from '../renewal/ports';
import type {
  PendingLifecycleEvent,
  RenewalFailure,
  StoredRow,
  StoredSubscription,
  SubscriptionDefinition,
} from '../renewal/subscription';
import { failureProperties, newRowProperties, toStoredRow, type SubscriptionEntity } from './subscriptionRow';
import { createTableOnce, explainingErrors, isConflict } from './tableClient';
import { TableStorageError } from './tableStorageError';

const PAGE_SIZE = 100;
// The service's maximum: a run reads only due rows, so fewer round trips matter more than page size.
const DUE_PAGE_SIZE = 1000;
// A hand-typed string date with a zone offset compares, as text, up to 14 h away from its instant.
const MAX_ZONE_OFFSET_MS = 14 * 3_600_000;
// Enough for any real contention (a timer run and a manual run); a row that keeps changing is a bug.
const MAX_WRITE_ATTEMPTS = 5;
// Merge cannot delete a property: an empty string is how a date or a mark is cleared.
const CLEARED = '';

/** The subscriptions table (README, "Table schema"). */
export class SubscriptionTable implements SubscriptionStore {
  /** `duePageSize`: rows a page when reading due rows (the service's maximum unless a test says less). */
  constructor(
    table: TableClient,
    private readonly duePageSize = DUE_PAGE_SIZE,
  ) {
    // Every error names this table and says what to do; a table found missing is created again next time.
    this.table = explainingErrors(table, () => once.forget());
    const once = createTableOnce(this.table);
    this.ensureExists = once;
  }

  private readonly table: TableClient;

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
   * is due, not the whole table. Two filters: a DateTime before the horizon; and, for strings typed
   * by hand (README "Table schema"), one that sorts before the horizon widened by the largest zone
   * offset, or cannot be a date at all (so a malformed one is reported, not skipped). Each row is
   * kept by the pass that matches its type (the emulator compares across types, the service does
   * not), so none is read twice. The caller still checks each row's state and expiration. The app
   * writes DateTime, so a hand-typed string becomes a DateTime at its first renewal. Rows with no
   * expiration at all are not read here: the status reports them.
   */
  async *duePages(horizon: Date): AsyncIterable<StoredRow[]> {
    for (const selection of this.dueSelections(horizon)) yield* selection;
  }

  /**
   * The two queries of duePages as separate selections, which a run reads at once. The first also
   * takes the rows awaiting a recreation (expired) or a lifecycle action, whatever their expiration:
   * one scan of the table rather than two. (A row both selections return is the caller's to count once.)
   */
  dueSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    const widened = new Date(horizon.getTime() + MAX_ZONE_OFFSET_MS).toISOString();
    return [
      this.duePass(
        odata`expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
        (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity),
      ),
      this.duePass(
        odata`expirationDateTime lt ${widened} or expirationDateTime ge ${':'}`,
        (entity) => typeof entity.expirationDateTime === 'string',
      ),
    ];
  }

  shortLivedSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    const [, handTyped] = this.dueSelections(horizon);
    return [
      this.duePass(
        odata`shortLived eq ${true} or expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`,
        (entity) => entity.expirationDateTime instanceof Date || awaitsWork(entity) || entity.shortLived === true,
      ),
      handTyped!,
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
    if (saved) return 'saved';
    // The later expiration stays, but the lease on the row may still be ours: give it back, or a
    // lifecycle event arriving meanwhile would wait for it to lapse (a failure here only means that wait).
    if (subscription.leaseUntil) await this.releaseIfOurs(subscription, subscription.leaseUntil).catch(() => undefined);
    return 'newer-kept';
  }

  async recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void> {
    await this.mergeWithRetry(
      subscription,
      (current) => ({ ...failureProperties(failure), consecutiveFailures: current.consecutiveFailures + 1, leaseUntil: CLEARED }),
      (current) => renewedMeanwhile(subscription, current, failure.at),
    );
  }

  async find(id: string): Promise<StoredSubscription | undefined> {
    // RowKey alone spans partitions; a Graph id is unique, so at most one row matches.
    for await (const entity of this.table.listEntities<SubscriptionEntity>({ queryOptions: { filter: odata`RowKey eq ${id}` } })) {
      const row = toStoredRow(entity);
      if (!row.ok) throw new Error(`Row ${row.partitionKey}/${row.rowKey} is malformed: ${row.problem}`);
      return row.subscription;
    }
    return undefined;
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
    // Marked expired too: a worker that dies from here on leaves a row the next run recreates.
    const written = await this.mergeWithRetry(
      subscription,
      (current) => ({ recreateStartedAt: at, leaseUntil, state: 'expired', ...(current.state === 'expired' ? {} : { expiredAt: at }) }),
      () => false,
    );
    return { ...written!.row, state: 'expired', recreateStartedAt: at, leaseUntil, etag: written!.etag };
  }

  async recordRecreateFailure(subscription: StoredSubscription, failure: RenewalFailure, mayHaveCreated: boolean): Promise<void> {
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
        },
      ],
    ]);
  }

  async insert(
    partitionKey: string,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
  ): Promise<void> {
    await this.table.createEntity({ partitionKey, rowKey: created.id, ...newRowProperties(definition, created, at, shortLived) });
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
    await this.mergeWithRetry(subscription, () => ({ ...changes, ...expiration, leaseUntil: CLEARED }), () => false);
  }

  async remove(subscription: StoredSubscription): Promise<void> {
    try {
      await this.table.deleteEntity(subscription.partitionKey, subscription.id);
    } catch (error) {
      if (!isRowNotFound(error)) throw error;
    }
  }

  async recordPending(subscription: StoredSubscription, event: PendingLifecycleEvent, at: Date): Promise<void> {
    await this.mergeWithRetry(subscription, () => ({ pendingLifecycleEvent: event, lastLifecycleEventAt: at }), () => false);
  }

  async recordMissed(subscription: StoredSubscription, at: Date): Promise<void> {
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
