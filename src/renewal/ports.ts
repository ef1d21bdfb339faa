import type { RenewalFailure, StoredRow, StoredSubscription } from './subscription';
import type { RunRecord, RunStart, RunTotals } from './runRecord';

/** The subscription table, as the renewal run needs it. */
export interface SubscriptionStore {
  /** Every row, a page at a time, so a run never holds the whole table. */
  pages(): AsyncIterable<StoredRow[]>;
  /** The rows that may expire before `horizon` (a superset: check each), a page at a time. */
  duePages(horizon: Date): AsyncIterable<StoredRow[]>;
  /** One row by its keys; undefined when it no longer exists. */
  read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined>;
  /**
   * Writes a renewed expiration. Uses the row's ETag; when another writer got there first it
   * re-reads and never moves the expiration backwards. Returns what ended up stored.
   */
  saveRenewal(subscription: StoredSubscription, expiration: Date, at: Date): Promise<'saved' | 'newer-kept'>;
  /** Records a failed renewal on the row without touching its expiration. */
  recordFailure(subscription: StoredSubscription, failure: RenewalFailure): Promise<void>;
  /** Marks a row whose subscription Graph no longer has; its definition stays for recreation. */
  markExpired(subscription: StoredSubscription, failure: RenewalFailure): Promise<void>;
}

/** Graph, as the renewal run needs it. */
export interface SubscriptionRenewer {
  /** PATCH /subscriptions/{id}; resolves with the expiration Graph stored. */
  renew(id: string, expiration: Date): Promise<{ expirationDateTime: Date }>;
}

/** The run-history table. */
export interface RunHistory {
  start(run: RunStart): Promise<string>;
  finish(id: string, totals: RunTotals): Promise<void>;
  /** The newest run, finished or not. */
  latest(): Promise<RunRecord | undefined>;
  /** The newest run that finished, whatever its outcome. */
  latestFinished(): Promise<RunRecord | undefined>;
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
