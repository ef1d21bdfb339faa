/**
 * What Graph needs to create a subscription again (POST /subscriptions), kept on the row so that a
 * subscription Graph lost can be recreated. The client state is not here: it is a secret and comes
 * from the WEBHOOK_CLIENT_STATE setting, never from the table.
 */
export interface SubscriptionDefinition {
  resource: string;
  changeType: string;
  notificationUrl: string;
  /** Where Graph sends lifecycle notifications; can only be set when a subscription is created. */
  lifecycleNotificationUrl?: string;
  includeResourceData?: boolean;
  /** Base64 public certificate Graph encrypts resource data with (not a secret), and its id. */
  encryptionCertificate?: string;
  encryptionCertificateId?: string;
  latestSupportedTlsVersion?: string;
  /** OData query options a notification must match (Universal Print). */
  notificationQueryOptions?: string;
  /** The app that owns the notification endpoint, when it is not this one (validation tokens are issued for it). */
  notificationUrlAppId?: string;
  /** Event Hubs: the blob container Graph puts payloads over 1 MB in. */
  blobStoreUrl?: string;
}

/** The definition fields besides resource, changeType and notificationUrl, in the order Graph documents them. */
export const OPTIONAL_DEFINITION_FIELDS = [
  'lifecycleNotificationUrl',
  'encryptionCertificate',
  'encryptionCertificateId',
  'latestSupportedTlsVersion',
  'notificationQueryOptions',
  'notificationUrlAppId',
  'blobStoreUrl',
] as const;

/** Lifecycle events (change-notifications-lifecycle-events.md) that leave work to do on the row. */
export type PendingLifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved';

/** A subscription as the table stores it: the Graph id, what it watches, and what we last learned. */
export interface StoredSubscription {
  /** Table partition; the row stays in it for its whole life (recreation replaces it in place). */
  partitionKey: string;
  /** The customer tenant the subscription is in (its Graph is reached with that tenant's token); undefined: the home tenant. */
  tenantId?: string;
  /** Graph subscription id (the table's RowKey). */
  id: string;
  resource: string;
  /** The rest of the definition; rows written by hand may lack it, and then cannot be recreated. */
  changeType?: string;
  notificationUrl?: string;
  lifecycleNotificationUrl?: string;
  includeResourceData?: boolean;
  encryptionCertificate?: string;
  encryptionCertificateId?: string;
  latestSupportedTlsVersion?: string;
  notificationQueryOptions?: string;
  notificationUrlAppId?: string;
  blobStoreUrl?: string;
  expirationDateTime: Date;
  /** Written by the app: the 10-minute timer renews it (its maximum lifetime is under a day plus the margin). */
  shortLived?: boolean;
  /** `expired` once Graph answered 404 for it: renewing can no longer help, it must be recreated. */
  state: 'active' | 'expired';
  /** Renewal attempts that failed since the last success; 0 when healthy. */
  consecutiveFailures: number;
  lastRenewedAt?: Date;
  lastFailure?: RenewalFailure;
  /** A run or request is working on this row until then; others leave it alone (no double renewal). */
  leaseUntil?: Date;
  /**
   * Set just before POST /subscriptions: if it is still set on the next attempt, the previous one may
   * have created a subscription before it could record it, so that one is looked for and adopted.
   */
  recreateStartedAt?: Date;
  /** The id of the subscription this one was recreated to replace, and when. */
  replaces?: string;
  recreatedAt?: Date;
  /** A lifecycle event received and not yet acted on; the next run acts on it if the first try did not. */
  pendingLifecycleEvent?: PendingLifecycleEvent;
  /** Graph said notifications were missed: the consumer must resync (delta query). */
  lastMissedAt?: Date;
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

/** The definition a stored subscription can be recreated from, or what is missing for that. */
export function definitionOf(subscription: StoredSubscription): SubscriptionDefinition | { missing: string } {
  if (!subscription.changeType) return { missing: 'changeType' };
  if (!subscription.notificationUrl) return { missing: 'notificationUrl' };
  const definition: SubscriptionDefinition = {
    resource: subscription.resource,
    changeType: subscription.changeType,
    notificationUrl: subscription.notificationUrl,
    ...(subscription.includeResourceData !== undefined
      ? { includeResourceData: subscription.includeResourceData }
      : {}),
  };
  for (const field of OPTIONAL_DEFINITION_FIELDS) if (subscription[field]) definition[field] = subscription[field];
  return definition;
}

/** Characters the table service refuses in a PartitionKey or RowKey, and control characters. */
export const BAD_KEY = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

/** True when `value` could be a RowKey (no row can have another). */
export function canBeKey(value: string): boolean {
  return value.length <= 1024 && !BAD_KEY.test(value);
}

/**
 * True while a worker other than the one whose lease ends at `ours` holds the row: a lease is told
 * apart by its end time. The domain (renewal/lease.ts) and the store (storage/subscriptionLeases.ts)
 * both judge a lease by this one rule.
 */
export function heldByAnother(subscription: StoredSubscription, now: Date, ours?: Date): boolean {
  return (
    subscription.leaseUntil !== undefined &&
    subscription.leaseUntil.getTime() > now.getTime() &&
    subscription.leaseUntil.getTime() !== ours?.getTime()
  );
}

/** A renewal failure as the status and the operations show it: when, Graph's status and code, and its message. */
export function failureText(failure: RenewalFailure): string {
  return `${failure.at.toISOString()} status ${failure.statusCode} ${failure.code}: ${failure.message}`;
}
