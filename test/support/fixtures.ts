import { randomUUID } from 'node:crypto';
import type { Harness } from './harness';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** The seed's resource: new mail in one mailbox's Inbox. */
export const INBOX = "users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages";

export interface SubscriptionFixture {
  id?: string;
  resource?: string;
  expiresAt: Date;
  /** False for a subscription that Graph no longer has (expired or deleted there). */
  onGraph?: boolean;
  partitionKey?: string;
  /** Extra or replacement row properties, to build malformed rows. */
  row?: Record<string, unknown>;
}

/** Stores a subscription row and, unless told otherwise, the same subscription on the Graph emulator. */
export async function storeSubscription(harness: Harness, fixture: SubscriptionFixture): Promise<string> {
  const id = fixture.id ?? randomUUID();
  const resource = fixture.resource ?? INBOX;
  if (fixture.onGraph !== false) {
    harness.graph.add({
      id,
      resource,
      expirationDateTime: fixture.expiresAt,
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      clientState: harness.env.WEBHOOK_CLIENT_STATE,
    });
  }
  await harness.subscriptionsTable.createEntity({
    partitionKey: fixture.partitionKey ?? 'default',
    rowKey: id,
    resource,
    changeType: 'created',
    notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
    lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
    expirationDateTime: fixture.expiresAt,
    ...fixture.row,
  });
  return id;
}

export function hoursFrom(base: Date, hours: number): Date {
  return new Date(base.getTime() + hours * HOUR);
}
