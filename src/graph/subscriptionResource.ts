// A subscription on the wire (subscription resource type, graph/api/resources/subscription): what Graph
// returns, read into the port's shape, and the body POST /subscriptions is sent.
import type { GraphSubscription, NewSubscription } from '../renewal/ports';
import { OPTIONAL_DEFINITION_FIELDS } from '../renewal/subscription';

/** A subscription as Graph returns it (the fields we use). */
export interface SubscriptionResource {
  id?: string;
  resource?: string;
  changeType?: string;
  notificationUrl?: string;
  lifecycleNotificationUrl?: string | null;
  expirationDateTime?: string;
  includeResourceData?: boolean | null;
  encryptionCertificate?: string | null;
  encryptionCertificateId?: string | null;
  latestSupportedTlsVersion?: string | null;
  notificationQueryOptions?: string | null;
  notificationUrlAppId?: string | null;
  blobStoreUrl?: string | null;
}

/** An expiration as Graph writes it, or undefined when absent or unreadable. */
export function readExpiration(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A subscription Graph returned, as the port describes it; undefined when it lacks an id, a resource or an expiration. */
export function toGraphSubscription(item: SubscriptionResource | undefined): GraphSubscription | undefined {
  const expirationDateTime = readExpiration(item?.expirationDateTime);
  if (!item?.id || !item.resource || !expirationDateTime) return undefined;
  return {
    id: item.id,
    expirationDateTime,
    resource: item.resource,
    changeType: item.changeType ?? '',
    notificationUrl: item.notificationUrl ?? '',
    ...(typeof item.includeResourceData === 'boolean' ? { includeResourceData: item.includeResourceData } : {}),
    // Adopt keeps whatever of the definition Graph returns, so a recreation sends it all again.
    ...Object.fromEntries(
      OPTIONAL_DEFINITION_FIELDS.filter((field) => typeof item[field] === 'string' && item[field] !== '').map(
        (field) => [field, item[field]],
      ),
    ),
  };
}

/** The POST body: the definition, the expiration and the client state; unset optional fields are left out. */
export function creationBody(subscription: NewSubscription): Record<string, unknown> {
  const body: Record<string, unknown> = {
    changeType: subscription.changeType,
    notificationUrl: subscription.notificationUrl,
    resource: subscription.resource,
    expirationDateTime: subscription.expirationDateTime.toISOString(),
    clientState: subscription.clientState,
  };
  for (const field of OPTIONAL_DEFINITION_FIELDS) if (subscription[field]) body[field] = subscription[field];
  if (subscription.includeResourceData !== undefined) body.includeResourceData = subscription.includeResourceData;
  return body;
}
