/** A subscription as the table stores it: the Graph id, what it watches, and what we last learned. */
export interface StoredSubscription {
  /** Table partition; the row stays in it for its whole life (recreation replaces it in place). */
  partitionKey: string;
  /** Graph subscription id (the table's RowKey). */
  id: string;
  resource: string;
  expirationDateTime: Date;
  /** `expired` once Graph answered 404 for it: renewing can no longer help, it must be recreated. */
  state: 'active' | 'expired';
  /** Renewal attempts that failed since the last success; 0 when healthy. */
  consecutiveFailures: number;
  lastRenewedAt?: Date;
  lastFailure?: RenewalFailure;
  /** Opaque table version, for optimistic concurrency. */
  etag: string;
}

/** What Graph (or the network) answered when a renewal failed. */
export interface RenewalFailure {
  at: Date;
  /** HTTP status, or 0 when no response arrived (timeout, connection refused). */
  statusCode: number;
  code: string;
  message: string;
  /** Graph's request-id, which Microsoft support asks for. */
  requestId?: string;
}

/** A table row that could not be read as a subscription, with what is wrong with it. */
export interface MalformedRow {
  partitionKey: string;
  rowKey: string;
  problem: string;
}

export type StoredRow = { ok: true; subscription: StoredSubscription } | ({ ok: false } & MalformedRow);
