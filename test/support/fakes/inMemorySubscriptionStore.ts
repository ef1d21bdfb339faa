import type { DefinitionChanges, SubscriptionStore } from '../../../src/renewal/ports';
import {
  type MalformedRow,
  OPTIONAL_DEFINITION_FIELDS,
  type PendingLifecycleEvent,
  type RenewalFailure,
  type StoredRow,
  type StoredSubscription,
  type SubscriptionDefinition,
} from '../../../src/renewal/subscription';
import { ScriptedFailures } from './scriptedFailures';
import { rowExists, rowNotFound } from './tableErrors';
import { canBeKey, MalformedRowError } from './underTest';

type Method = keyof SubscriptionStore;
type Changes = Partial<Omit<StoredSubscription, 'partitionKey' | 'id' | 'etag'>>;
const PAGE_SIZE = 100;

/**
 * The subscription table in a Map, with the Table adapter's rules (src/storage/subscriptionTable.ts):
 * every write is conditional on the row's ETag and, when another writer got there first, is made again
 * on the row as it is now unless that writer's change makes it pointless; a lease is told apart by its
 * end time; a missing row or a duplicate fails with the adapter's TableStorageError. Not modelled: the
 * index table's problem entries (the status reads them, not the run), and the census's text dates.
 * `now` is the clock the leases are compared with (the adapter reads the wall clock).
 */
export class InMemorySubscriptionStore implements SubscriptionStore {
  private readonly rows = new Map<string, StoredSubscription | ({ ok: false } & MalformedRow)>();
  private version = 0;
  /** Failures the next calls of a method meet (a table outage), keyed by subscription id. */
  readonly failures = new ScriptedFailures<Method>();
  /** The malformed rows a run reported (flagMalformed). */
  readonly flagged: MalformedRow[] = [];

  constructor(
    private readonly now: () => Date = () => new Date(),
    readonly tableName = 'subscriptions',
  ) {}

  /** Stores a row as a test sets the scene (a hand-written row, or one an earlier run left); returns it as read. */
  put(
    row: Pick<StoredSubscription, 'id' | 'resource' | 'expirationDateTime'> & Partial<StoredSubscription>,
  ): StoredSubscription {
    const stored: StoredSubscription = {
      partitionKey: 'default',
      state: 'active',
      consecutiveFailures: 0,
      shortLived: false,
      ...row,
      etag: this.nextEtag(),
    };
    this.rows.set(keyOf(stored.partitionKey, stored.id), stored);
    return { ...stored };
  }

  /** Stores a row that cannot be read as a subscription (it is in every selection, as if due). */
  putMalformed(row: MalformedRow): void {
    this.rows.set(keyOf(row.partitionKey, row.rowKey), { ok: false, ...row });
  }

  /** The row as stored now, or undefined. */
  current(id: string, partitionKey = 'default'): StoredSubscription | undefined {
    const row = this.rows.get(keyOf(partitionKey, id));
    return row && !('ok' in row) ? { ...row } : undefined;
  }

  /** Another writer (a lifecycle event, another run) changes the row: its ETag changes too. */
  changeBehindOurBack(id: string, changes: Changes, partitionKey = 'default'): StoredSubscription {
    const row = this.current(id, partitionKey);
    if (!row) throw new Error(`No row ${partitionKey}/${id}`);
    return this.write(row, changes);
  }

  /** Another writer deletes the row (someone removed the subscription meanwhile). */
  deleteBehindOurBack(id: string, partitionKey = 'default'): void {
    this.rows.delete(keyOf(partitionKey, id));
  }

  async *pages(): AsyncIterable<StoredRow[]> {
    yield* paged(this.sorted(() => true));
  }

  async *partitionPages(partitionKey: string): AsyncIterable<StoredRow[]> {
    yield* paged(this.sorted((row) => partitionOf(row) === partitionKey));
  }

  dueSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return [paged(this.sorted((row) => 'ok' in row || isDue(row, horizon)))];
  }

  shortLivedSelections(horizon: Date): AsyncIterable<StoredRow[]>[] {
    return [paged(this.sorted((row) => 'ok' in row || row.shortLived === true || isDue(row, horizon)))];
  }

  async read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined> {
    this.failures.throwIfScripted('read', rowKey);
    const row = this.rows.get(keyOf(partitionKey, rowKey));
    return row ? toStoredRow(row) : undefined;
  }

  async saveRenewal(
    subscription: StoredSubscription,
    expiration: Date,
    at: Date,
    shortLived: boolean,
  ): Promise<'saved' | 'newer-kept'> {
    this.failures.throwIfScripted('saveRenewal', subscription.id);
    const saved = this.merge(
      subscription,
      (current) => ({
        expirationDateTime: expiration,
        lastRenewedAt: at,
        state: 'active',
        consecutiveFailures: 0,
        leaseUntil: undefined,
        shortLived,
        ...(current.pendingLifecycleEvent === 'subscriptionRemoved' ? {} : { pendingLifecycleEvent: undefined }),
      }),
      (current) => current.expirationDateTime.getTime() >= expiration.getTime(),
    );
    if (saved) return 'saved';
    if (subscription.leaseUntil) await this.releaseIfOurs(subscription, subscription.leaseUntil).catch(() => undefined);
    return 'newer-kept';
  }

  async recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void> {
    this.failures.throwIfScripted('recordFailure', subscription.id);
    this.merge(
      subscription,
      (current) => ({
        lastFailure: storedFailure(failure),
        consecutiveFailures: current.consecutiveFailures + 1,
        leaseUntil: undefined,
      }),
      (current) =>
        current.expirationDateTime.getTime() > subscription.expirationDateTime.getTime() ||
        (current.lastRenewedAt !== undefined && current.lastRenewedAt.getTime() > failure.at.getTime()),
    );
  }

  async find(id: string): Promise<StoredSubscription | undefined> {
    this.failures.throwIfScripted('find', id);
    if (!canBeKey(id)) return undefined;
    const row = this.sorted(() => true).find(
      (candidate) => (candidate.ok ? candidate.subscription.id : candidate.rowKey) === id,
    );
    if (row && !row.ok)
      throw new MalformedRowError(`Row ${row.partitionKey}/${row.rowKey} is malformed: ${row.problem}`);
    return row?.subscription;
  }

  async claim(
    subscription: StoredSubscription,
    until: Date,
    stillWanted: (current: StoredSubscription) => boolean,
    ours?: Date,
  ): Promise<StoredSubscription | undefined> {
    this.failures.throwIfScripted('claim', subscription.id);
    const now = this.now();
    const busy = (row: StoredSubscription) =>
      row.leaseUntil !== undefined &&
      row.leaseUntil.getTime() > now.getTime() &&
      row.leaseUntil.getTime() !== ours?.getTime();
    if (busy(subscription)) return undefined;
    return this.merge(
      subscription,
      () => ({ leaseUntil: until }),
      (current) => busy(current) || !stillWanted(current),
    );
  }

  async leaseMany(rows: StoredSubscription[], until: Date | undefined): Promise<StoredSubscription[]> {
    // The adapter answers any failure of the transaction with none leased (the caller then goes row by row).
    try {
      this.failures.throwIfScripted('leaseMany');
    } catch {
      return [];
    }
    // One table transaction: at most 100 rows of one partition, none changed since it was read, or nothing.
    const unchanged = rows.every(
      (row) => row.partitionKey === rows[0]?.partitionKey && this.current(row.id, row.partitionKey)?.etag === row.etag,
    );
    if (rows.length === 0 || rows.length > 100 || !unchanged) return [];
    return rows.map((row) => ({
      ...row,
      leaseUntil: until,
      etag: this.write(this.current(row.id, row.partitionKey)!, { leaseUntil: until }).etag,
    }));
  }

  async releaseIfOurs(subscription: StoredSubscription, ours: Date): Promise<void> {
    this.failures.throwIfScripted('releaseIfOurs', subscription.id);
    this.merge(
      subscription,
      () => ({ leaseUntil: undefined }),
      (current) => current.leaseUntil?.getTime() !== ours.getTime(),
    );
  }

  async release(subscription: StoredSubscription): Promise<void> {
    this.failures.throwIfScripted('release', subscription.id);
    this.merge(
      subscription,
      () => ({ leaseUntil: undefined }),
      () => false,
    );
  }

  async beginRecreate(subscription: StoredSubscription, at: Date, leaseUntil: Date): Promise<StoredSubscription> {
    this.failures.throwIfScripted('beginRecreate', subscription.id);
    return this.merge(
      subscription,
      () => ({ recreateStartedAt: at, leaseUntil, state: 'expired' }),
      () => false,
    )!;
  }

  async recordRecreateFailure(
    subscription: StoredSubscription,
    failure: RenewalFailure,
    mayHaveCreated: boolean,
  ): Promise<void> {
    this.failures.throwIfScripted('recordRecreateFailure', subscription.id);
    this.merge(
      subscription,
      (current) => ({
        lastFailure: storedFailure(failure),
        state: 'expired',
        consecutiveFailures: current.consecutiveFailures + 1,
        leaseUntil: undefined,
        ...(mayHaveCreated ? {} : { recreateStartedAt: undefined }),
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
    this.failures.throwIfScripted('replace', old.id);
    const current = this.rows.get(keyOf(old.partitionKey, old.id));
    if (!current) throw rowNotFound(this.tableName);
    // One transaction: the old row goes and its successor arrives together, or neither does.
    if (this.rows.has(keyOf(old.partitionKey, created.id))) throw rowExists(this.tableName);
    const lastMissedAt = 'ok' in current ? old.lastMissedAt : current.lastMissedAt;
    this.rows.delete(keyOf(old.partitionKey, old.id));
    this.put({
      ...newRow(old.partitionKey, definition, created, at, shortLived, old.tenantId),
      replaces: old.id,
      recreatedAt: at,
      ...(lastMissedAt ? { lastMissedAt } : {}),
    });
  }

  async insert(
    partitionKey: string,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
    tenantId?: string,
  ): Promise<void> {
    this.failures.throwIfScripted('insert', created.id);
    if (this.rows.has(keyOf(partitionKey, created.id))) throw rowExists(this.tableName);
    this.put(newRow(partitionKey, definition, created, at, shortLived, tenantId));
  }

  async saveDefinition(
    subscription: StoredSubscription,
    changes: DefinitionChanges,
    renewed?: { expiration: Date; at: Date; shortLived: boolean },
  ): Promise<void> {
    this.failures.throwIfScripted('saveDefinition', subscription.id);
    const expiration = renewed
      ? {
          expirationDateTime: renewed.expiration,
          lastRenewedAt: renewed.at,
          consecutiveFailures: 0,
          shortLived: renewed.shortLived,
        }
      : {};
    const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    this.merge(
      subscription,
      () => ({ ...defined, ...expiration, leaseUntil: undefined }),
      () => false,
    );
  }

  async remove(subscription: StoredSubscription): Promise<void> {
    this.failures.throwIfScripted('remove', subscription.id);
    this.rows.delete(keyOf(subscription.partitionKey, subscription.id));
  }

  async recordPending(
    subscription: StoredSubscription,
    event: PendingLifecycleEvent,
    _at: Date,
  ): Promise<StoredSubscription> {
    this.failures.throwIfScripted('recordPending', subscription.id);
    return this.merge(
      subscription,
      () => ({ pendingLifecycleEvent: event }),
      () => false,
    )!;
  }

  async recordMissed(subscription: StoredSubscription, at: Date): Promise<void> {
    this.failures.throwIfScripted('recordMissed', subscription.id);
    this.merge(
      subscription,
      () => ({ lastMissedAt: at }),
      () => false,
    );
  }

  async flagMalformed(row: MalformedRow, _at: Date): Promise<void> {
    this.flagged.push(row);
  }

  /**
   * The adapter's conditional merge: written when the row's ETag is the one read; otherwise, unless
   * `outdated` says the other writer's change makes ours pointless, written on the row as it is now.
   * Resolves with the row as written (its new ETag), or undefined when nothing was written.
   */
  private merge(
    read: StoredSubscription,
    changes: (current: StoredSubscription) => Changes,
    outdated: (current: StoredSubscription) => boolean,
  ): StoredSubscription | undefined {
    const stored = this.rows.get(keyOf(read.partitionKey, read.id));
    if (!stored) throw rowNotFound(this.tableName);
    if ('ok' in stored) throw new Error(`Row ${read.partitionKey}/${read.id} became malformed: ${stored.problem}`);
    const current = stored.etag === read.etag ? read : stored;
    if (current !== read && outdated(current)) return undefined;
    return this.write(stored, changes(current));
  }

  private write(row: StoredSubscription, changes: Changes): StoredSubscription {
    const written = { ...row, ...changes, etag: this.nextEtag() };
    this.rows.set(keyOf(row.partitionKey, row.id), written);
    return { ...written };
  }

  private nextEtag(): string {
    return `W/"fake-${++this.version}"`;
  }

  /** The rows that match, in the table's order (PartitionKey, then RowKey). */
  private sorted(keep: (row: StoredSubscription | ({ ok: false } & MalformedRow)) => boolean): StoredRow[] {
    return [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row)
      .filter(keep)
      .map(toStoredRow);
  }
}

const keyOf = (partitionKey: string, rowKey: string) => `${partitionKey}\u0000${rowKey}`;
const partitionOf = (row: StoredSubscription | MalformedRow) => row.partitionKey;

function toStoredRow(row: StoredSubscription | ({ ok: false } & MalformedRow)): StoredRow {
  return 'ok' in row ? { ...row } : { ok: true, subscription: { ...row } };
}

/** What the due query selects: expiring before the horizon, or awaiting a recreation or a lifecycle action. */
function isDue(row: StoredSubscription, horizon: Date): boolean {
  return (
    row.expirationDateTime.getTime() < horizon.getTime() ||
    row.state === 'expired' ||
    row.pendingLifecycleEvent !== undefined
  );
}

async function* paged(rows: StoredRow[]): AsyncIterable<StoredRow[]> {
  for (let i = 0; i < rows.length; i += PAGE_SIZE) yield rows.slice(i, i + PAGE_SIZE);
}

/** A failure as the row keeps it: no request-id, the message cut at 1,000 characters (src/storage/subscriptionRow.ts). */
function storedFailure(failure: RenewalFailure): RenewalFailure {
  return {
    at: failure.at,
    statusCode: failure.statusCode,
    code: failure.code,
    message: failure.message.slice(0, 1000),
  };
}

function newRow(
  partitionKey: string,
  definition: SubscriptionDefinition,
  created: { id: string; expirationDateTime: Date },
  at: Date,
  shortLived: boolean,
  tenantId?: string,
) {
  const optional = Object.fromEntries(
    OPTIONAL_DEFINITION_FIELDS.filter((field) => definition[field]).map((field) => [field, definition[field]]),
  );
  return {
    partitionKey,
    ...(tenantId ? { tenantId } : {}),
    id: created.id,
    resource: definition.resource,
    changeType: definition.changeType,
    notificationUrl: definition.notificationUrl,
    ...optional,
    ...(definition.includeResourceData !== undefined ? { includeResourceData: definition.includeResourceData } : {}),
    expirationDateTime: created.expirationDateTime,
    state: 'active' as const,
    consecutiveFailures: 0,
    lastRenewedAt: at,
    shortLived,
  };
}
