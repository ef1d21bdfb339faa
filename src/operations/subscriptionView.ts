import { failureText, type StoredSubscription } from '../renewal/subscription';

/** A subscription as the operations show it. */
export interface SubscriptionView {
  id: string;
  partitionKey: string;
  /** The customer tenant it is in; null: the home tenant. */
  tenantId: string | null;
  resource: string;
  changeType: string | null;
  notificationUrl: string | null;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  state: string;
  consecutiveFailures: number;
  lastRenewedAt: string | null;
  lastError: string | null;
  replaces: string | null;
  recreatedAt: string | null;
  pendingLifecycleEvent: string | null;
  lastMissedAt: string | null;
  /** Renewed by the 10-minute timer (its maximum lifetime is under a day plus the margin), not the daily one. */
  shortLived: boolean;
}

export function viewOf(subscription: StoredSubscription): SubscriptionView {
  const failure = subscription.lastFailure;
  return {
    id: subscription.id,
    partitionKey: subscription.partitionKey,
    tenantId: subscription.tenantId ?? null,
    resource: subscription.resource,
    changeType: subscription.changeType ?? null,
    notificationUrl: subscription.notificationUrl ?? null,
    lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
    expirationDateTime: subscription.expirationDateTime.toISOString(),
    state: subscription.state,
    consecutiveFailures: subscription.consecutiveFailures,
    lastRenewedAt: subscription.lastRenewedAt?.toISOString() ?? null,
    lastError: failure ? failureText(failure) : null,
    replaces: subscription.replaces ?? null,
    recreatedAt: subscription.recreatedAt?.toISOString() ?? null,
    pendingLifecycleEvent: subscription.pendingLifecycleEvent ?? null,
    lastMissedAt: subscription.lastMissedAt?.toISOString() ?? null,
    shortLived: subscription.shortLived === true,
  };
}
