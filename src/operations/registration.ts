import { readChannel } from '../renewal/policy/deliveryChannel';
import { BAD_KEY, OPTIONAL_DEFINITION_FIELDS, type SubscriptionDefinition } from '../renewal/subscription';
import { OperationError } from './operationError';
import type { RegistrationDefaults } from './operationsInput';

/** What a registration asks for; everything but the resource has a default from the settings. */
export interface Registration {
  definition: SubscriptionDefinition;
  partitionKey: string;
  /** Worth telling the caller, e.g. that no lifecycle URL was set. */
  warnings: string[];
}

const FIELDS = new Set([
  'resource',
  'changeType',
  'notificationUrl',
  'includeResourceData',
  ...OPTIONAL_DEFINITION_FIELDS,
  'partitionKey',
]);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHANGE_TYPES = new Set(['created', 'updated', 'deleted']);
const TLS_VERSIONS = new Set(['v1_0', 'v1_1', 'v1_2', 'v1_3']);

/**
 * Checks a registration request and fills in the defaults: the seed's resource (new mail in
 * GRAPH_USER_ID's Inbox), changeType "created", WEBHOOK_NOTIFICATION_URL and WEBHOOK_LIFECYCLE_URL.
 * Each error names the field and what it takes.
 */
export function readRegistration(input: unknown, webhook: RegistrationDefaults): Registration {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new OperationError('invalidInput', 'The request body must be a JSON object.');
  const body = input as Record<string, unknown>;
  if ('clientState' in body) {
    throw new OperationError(
      'invalidInput',
      'clientState is not accepted here: subscriptions are created with WEBHOOK_CLIENT_STATE, which never leaves the app settings.',
    );
  }
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw new OperationError(
      'invalidInput',
      `Unknown field(s): ${unknown.map((key) => key.slice(0, 40)).join(', ')}. Accepted: ${[...FIELDS].join(', ')}.`,
    );
  }
  const text = (field: string): string | undefined => {
    const value = body[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new OperationError('invalidInput', `${field} must be a string.`);
    return value.trim() === '' ? undefined : value.trim();
  };
  const warnings: string[] = [];

  const resource =
    text('resource') ?? (webhook.userId ? `users/${webhook.userId}/mailFolders('Inbox')/messages` : undefined);
  if (!resource)
    throw new OperationError(
      'invalidInput',
      "resource is missing: give one (e.g. users/{user-id}/messages), or set GRAPH_USER_ID to watch that mailbox's Inbox.",
    );

  const changeType = text('changeType') ?? 'created';
  const changes = changeType.split(',').map((part) => part.trim());
  if (changes.some((part) => !CHANGE_TYPES.has(part))) {
    throw new OperationError(
      'invalidInput',
      `changeType "${changeType.slice(0, 60)}" is not valid: use created, updated, deleted, or several separated by commas.`,
    );
  }

  const notificationUrl = channel(
    'notificationUrl',
    text('notificationUrl') ?? webhook.notificationUrl,
    'WEBHOOK_NOTIFICATION_URL',
  );
  if (!notificationUrl)
    throw new OperationError('invalidInput', 'notificationUrl is missing: give one, or set WEBHOOK_NOTIFICATION_URL.');
  const lifecycleNotificationUrl = channel(
    'lifecycleNotificationUrl',
    text('lifecycleNotificationUrl') ?? webhook.lifecycleUrl,
    'WEBHOOK_LIFECYCLE_URL',
  );
  if (!lifecycleNotificationUrl) {
    warnings.push(
      'No lifecycleNotificationUrl (WEBHOOK_LIFECYCLE_URL is not set): Graph cannot warn this app before it removes the subscription, and it cannot be added later.',
    );
  } else if (!lifecycleNotificationUrl.startsWith('https://')) {
    // Graph sends them there, not to this app: the subscription is still renewed on schedule.
    warnings.push(
      'Lifecycle notifications go to Event Hubs or Event Grid, not to this app: act on reauthorizationRequired and subscriptionRemoved there (renewals still happen on schedule).',
    );
  }

  const include = body.includeResourceData;
  if (include !== undefined && typeof include !== 'boolean')
    throw new OperationError('invalidInput', 'includeResourceData must be true or false.');
  const encryptionCertificate = text('encryptionCertificate');
  const encryptionCertificateId = text('encryptionCertificateId');
  if (include === true && (!encryptionCertificate || !encryptionCertificateId)) {
    throw new OperationError(
      'invalidInput',
      'includeResourceData needs encryptionCertificate (the base64 public certificate) and encryptionCertificateId.',
    );
  }
  const latestSupportedTlsVersion = text('latestSupportedTlsVersion');
  if (latestSupportedTlsVersion && !TLS_VERSIONS.has(latestSupportedTlsVersion)) {
    throw new OperationError(
      'invalidInput',
      `latestSupportedTlsVersion must be one of ${[...TLS_VERSIONS].join(', ')}.`,
    );
  }

  const notificationQueryOptions = text('notificationQueryOptions');
  if (notificationQueryOptions && notificationQueryOptions.length > 2000)
    throw new OperationError('invalidInput', 'notificationQueryOptions is over 2,000 characters.');
  const notificationUrlAppId = text('notificationUrlAppId');
  if (notificationUrlAppId && !GUID.test(notificationUrlAppId)) {
    throw new OperationError(
      'invalidInput',
      'notificationUrlAppId must be the application (client) id, a GUID, of the app that owns the notification endpoint.',
    );
  }
  const blobStoreUrl = text('blobStoreUrl');
  if (blobStoreUrl && !/^https:\/\/[^/?#]+\/[^?#]+/.test(blobStoreUrl)) {
    throw new OperationError(
      'invalidInput',
      'blobStoreUrl must be the https URL of a blob container, e.g. https://<account>.blob.core.windows.net/<container> (Event Hubs: where payloads over 1 MB go).',
    );
  }

  const partitionKey = readPartitionKey(text('partitionKey') ?? 'default');

  return {
    definition: {
      resource: resource.replace(/^\//, ''),
      changeType: changes.join(','),
      notificationUrl,
      ...(lifecycleNotificationUrl ? { lifecycleNotificationUrl } : {}),
      ...(include !== undefined ? { includeResourceData: include } : {}),
      ...(encryptionCertificate ? { encryptionCertificate } : {}),
      ...(encryptionCertificateId ? { encryptionCertificateId } : {}),
      ...(latestSupportedTlsVersion ? { latestSupportedTlsVersion } : {}),
      ...(notificationQueryOptions ? { notificationQueryOptions } : {}),
      ...(notificationUrlAppId ? { notificationUrlAppId } : {}),
      ...(blobStoreUrl ? { blobStoreUrl } : {}),
    },
    partitionKey,
    warnings,
  };
}

/** A notification or lifecycle URL: https, EventHub: or EventGrid: (renewal/deliveryChannel.ts); 400 with the template otherwise. */
export function channel(field: string, value: string | undefined, setting?: string): string | undefined {
  if (value === undefined) return undefined;
  const read = readChannel(value);
  // The value is not echoed: an Event Hubs connection string pasted here by mistake holds a key.
  if ('problem' in read)
    throw new OperationError(
      'invalidInput',
      `${field} ${read.problem}${setting ? ` (the default is ${setting})` : ''}`,
    );
  return read.value;
}

/** A table partition key as the table service takes it, or a 400 that says what it takes. */
export function readPartitionKey(value: string): string {
  if (value === '' || value.length > 255 || BAD_KEY.test(value)) {
    throw new OperationError(
      'invalidInput',
      'partitionKey must be 1 to 255 characters, without / \\ # ? or control characters.',
    );
  }
  return value;
}
