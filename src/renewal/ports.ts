import type { LearntMaximum } from './policy/graphRules';
import type { RunRecord, RunStart, RunTotals } from './runRecord';
import type {
  MalformedRow,
  PendingLifecycleEvent,
  RenewalFailure,
  StoredRow,
  StoredSubscription,
  SubscriptionDefinition,
} from './subscription';
import type { TenantRecord } from './tenant';

/** The subscription table, as the renewal run needs it. */
export interface SubscriptionStore {
  /** Every row, a page at a time, so a run never holds the whole table. */
  pages(): AsyncIterable<StoredRow[]>;
  /** Every row of one partition, a page at a time. */
  partitionPages(partitionKey: string): AsyncIterable<StoredRow[]>;
  /**
   * The rows that may expire before `horizon`, and those awaiting a recreation or a lifecycle action
   * (a superset: check each), a page at a time, as selections that can be read at once. A row may
   * come from more than one.
   */
  dueSelections(horizon: Date): AsyncIterable<StoredRow[]>[];
  /**
   * What the short-lived timer looks at: the rows marked `shortLived`, those that may expire before
   * `horizon` (a row typed by hand is not marked yet), and those awaiting a recreation or a lifecycle
   * action (a superset: check each). Costs what it returns: nothing when there are none.
   */
  shortLivedSelections(horizon: Date): AsyncIterable<StoredRow[]>[];
  /** One row by its keys; undefined when it no longer exists. */
  read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined>;
  /**
   * Writes a renewed expiration. Uses the row's ETag; when another writer got there first it
   * re-reads and never moves the expiration backwards. Returns what ended up stored.
   */
  saveRenewal(
    subscription: StoredSubscription,
    expiration: Date,
    at: Date,
    shortLived: boolean,
  ): Promise<'saved' | 'newer-kept'>;
  /** Records a failed renewal on the row without touching its expiration. */
  recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void>;
  /** The row for a Graph subscription id, in whichever partition it is. */
  find(id: string): Promise<StoredSubscription | undefined>;
  /**
   * Takes the row's lease until `until`, so no other run or request works on it meanwhile. Resolves
   * with the leased row, or undefined when another worker holds it or `stillWanted` says its change
   * made ours pointless.
   */
  claim(
    subscription: StoredSubscription,
    until: Date,
    stillWanted: (current: StoredSubscription) => boolean,
    /** The end of a lease this worker holds already on the row: not someone else's. */
    ours?: Date,
  ): Promise<StoredSubscription | undefined>;
  /**
   * Leases rows of one partition (at most 100) in one table transaction: all of them, or none when
   * any changed since it was read (the caller then leases them one by one). Resolves with the leased
   * rows. `until` undefined gives leases back.
   */
  leaseMany(rows: StoredSubscription[], until: Date | undefined): Promise<StoredSubscription[]>;
  /** Gives back the lease that ends at `ours`, unless another worker's has replaced it. */
  releaseIfOurs(subscription: StoredSubscription, ours: Date): Promise<void>;
  /** Gives a lease back without other changes. */
  release(subscription: StoredSubscription): Promise<void>;
  /** Notes, before POST /subscriptions, that a creation is under way (see `recreateStartedAt`). */
  beginRecreate(subscription: StoredSubscription, at: Date, leaseUntil: Date): Promise<StoredSubscription>;
  /**
   * Marks the row expired (Graph no longer has its subscription) with the failure; its definition
   * stays for the next attempt. `mayHaveCreated` false clears the in-progress mark (Graph made nothing).
   */
  recordRecreateFailure(
    subscription: StoredSubscription,
    failure: RenewalFailure,
    mayHaveCreated: boolean,
  ): Promise<void>;
  /** Replaces the row of a lost subscription by the row of its successor, in one table transaction. */
  replace(
    old: StoredSubscription,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
  ): Promise<void>;
  /** Stores a subscription just created or adopted, in `tenantId` (undefined: the home tenant). */
  insert(
    partitionKey: string,
    definition: SubscriptionDefinition,
    created: { id: string; expirationDateTime: Date },
    at: Date,
    shortLived: boolean,
    tenantId?: string,
  ): Promise<void>;
  /**
   * Writes definition fields Graph now holds (after an update) with the expiration it answered, and
   * gives the lease back; without `renewed` (Graph no longer has the subscription) only the definition,
   * for the recreation to use.
   */
  saveDefinition(
    subscription: StoredSubscription,
    changes: DefinitionChanges,
    renewed?: { expiration: Date; at: Date; shortLived: boolean },
  ): Promise<void>;
  /** Deletes the row. */
  remove(subscription: StoredSubscription): Promise<void>;
  /** Records a lifecycle event that leaves work to do (done by the next renewal if not at once). */
  /** Resolves with the row as written (its new ETag), so the work that follows need not read it again. */
  recordPending(subscription: StoredSubscription, event: PendingLifecycleEvent, at: Date): Promise<StoredSubscription>;
  /** Records that Graph reported missed notifications. */
  recordMissed(subscription: StoredSubscription, at: Date): Promise<void>;
  /** Records that a malformed row was found, so the status names it at once (best effort). */
  flagMalformed(row: MalformedRow, at: Date): Promise<void>;
}

/** What PATCH /subscriptions/{id} can change besides the expiration (subscription-update). */
export type DefinitionChanges = Partial<
  Pick<SubscriptionDefinition, 'notificationUrl' | 'encryptionCertificate' | 'encryptionCertificateId'>
>;

/** Maxima Graph stated in refusals, kept across runs and instances (the run-history table). */
export interface LearntMaxima {
  load(): Promise<LearntMaximum[]>;
  save(maximum: LearntMaximum): Promise<void>;
}

/** A subscription as Graph describes it. */
export interface GraphSubscription extends SubscriptionDefinition {
  id: string;
  expirationDateTime: Date;
}

/** What POST /subscriptions takes. */
export interface NewSubscription extends SubscriptionDefinition {
  expirationDateTime: Date;
  clientState: string;
}

/** Graph's /subscriptions, as this app uses it. */
export interface SubscriptionGraph {
  /** Gets a token: a credential problem shows before any row is touched. Throws a CredentialError. */
  ready(): Promise<void>;
  /** PATCH /subscriptions/{id}; resolves with the expiration Graph stored. Also reauthorizes. */
  /** `deadline`: no attempt or wait goes past it (the end of the row's lease, less a margin). */
  renew(id: string, expiration: Date, deadline?: Date): Promise<{ expirationDateTime: Date }>;
  /** PATCH /subscriptions/{id} with new delivery or encryption settings; Graph validates a new webhook URL first. */
  /** Also renews it to `expiration`: Graph rotates a certificate "as part of regular subscription renewal". */
  update(
    id: string,
    changes: DefinitionChanges,
    expiration: Date,
    deadline?: Date,
  ): Promise<{ expirationDateTime: Date }>;
  /** POST /subscriptions; Graph validates the notification URLs before it answers. */
  create(subscription: NewSubscription, deadline?: Date): Promise<GraphSubscription>;
  /** GET /subscriptions/{id}; undefined when Graph has no such subscription (404). */
  get(id: string): Promise<GraphSubscription | undefined>;
  /** GET /subscriptions, all pages. */
  list(): AsyncIterable<GraphSubscription>;
  /** DELETE /subscriptions/{id}. */
  remove(id: string): Promise<'deleted' | 'notFound'>;
}

/** The run-history table. */
/**
 * Graph as each tenant's token reaches it: the home tenant's (where the managed identity lives) and
 * every customer tenant's (the multi-tenant app's token for it). Each tenant has its own limits.
 */
export interface TenantGraphs {
  /** The Graph of `tenantId`; undefined: the home tenant. */
  forTenant(tenantId: string | undefined): SubscriptionGraph;
}

/** The customer tenants onboarded (the tenants table), with their health. */
export interface TenantDirectory {
  /** Creates the table when it does not exist yet. */
  ensureExists(): Promise<void>;
  list(): Promise<TenantRecord[]>;
  get(id: string): Promise<TenantRecord | undefined>;
  /** Adds or replaces the tenant's record. */
  save(tenant: TenantRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /**
   * The tenant's last token request: a token came (no `problem`), or none did (`problem.message`,
   * redacted; `consentMissing` when Entra refused it for want of consent, which the tenant's admin must fix).
   */
  recordHealth(id: string, at: Date, problem?: { message: string; consentMissing: boolean }): Promise<void>;
}

export interface RunHistory {
  start(run: RunStart): Promise<string>;
  finish(id: string, totals: RunTotals): Promise<void>;
  /** The newest run, finished or not. */
  latest(): Promise<RunRecord | undefined>;
  /** The newest run that finished, whatever its outcome. */
  latestFinished(): Promise<RunRecord | undefined>;
  /** The newest `count` runs, newest first, in one request. */
  recent(count: number): Promise<RunRecord[]>;
}

/** Where events go; `InvocationContext` fits as it is. */
export interface Log {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The renewal queue, as a run hands it what it has no time for. */
export interface RenewalHandOff {
  readonly queueName: string;
  /** Queues one message per subscription (its keys and the run's id, nothing else); resolves with how many were queued. */
  send(subscriptions: readonly Pick<StoredSubscription, 'partitionKey' | 'id'>[], runId: string): Promise<number>;
}
