import { hoursFrom } from '../support/fixtures';

/**
 * Every property toStoredRow reads (docs/table-schema.md), with a value of the wrong type.
 * `required`: a row without it cannot be renewed; the others may be absent (or empty, how the app
 * clears them). `informs`: a wrong value there is read as absent and the row still renewed (refusing
 * the row would stop its renewals over a note; its next write replaces the value); the row is
 * refused for a wrong value anywhere else.
 */
export const ROW_FIELDS: { field: string; required: boolean; wrong: unknown; informs?: boolean }[] = [
  { field: 'resource', required: true, wrong: 42 },
  { field: 'expirationDateTime', required: true, wrong: true },
  { field: 'state', required: false, wrong: 5 },
  { field: 'consecutiveFailures', required: false, wrong: 'three' },
  { field: 'changeType', required: false, wrong: 7 },
  { field: 'notificationUrl', required: false, wrong: 7 },
  { field: 'lifecycleNotificationUrl', required: false, wrong: 7 },
  { field: 'encryptionCertificate', required: false, wrong: 7 },
  { field: 'encryptionCertificateId', required: false, wrong: 7 },
  { field: 'latestSupportedTlsVersion', required: false, wrong: 7 },
  { field: 'includeResourceData', required: false, wrong: 'yes' },
  { field: 'pendingLifecycleEvent', required: false, wrong: 3 },
  { field: 'lastRenewedAt', required: false, wrong: 12, informs: true },
  { field: 'leaseUntil', required: false, wrong: 12 },
  { field: 'recreateStartedAt', required: false, wrong: 12 },
  { field: 'recreatedAt', required: false, wrong: 12, informs: true },
  { field: 'lastMissedAt', required: false, wrong: 12, informs: true },
  { field: 'lastErrorAt', required: false, wrong: 12, informs: true },
  { field: 'lastErrorStatus', required: false, wrong: 'teapot', informs: true },
  { field: 'lastErrorCode', required: false, wrong: 12, informs: true },
  { field: 'lastErrorMessage', required: false, wrong: true, informs: true },
  { field: 'replaces', required: false, wrong: 12, informs: true },
];

/** A row with every property set as the app writes it, none of which stops a renewal. */
export const COMPLETE_ROW = (now: Date): Record<string, unknown> => ({
  state: 'active',
  consecutiveFailures: 0,
  changeType: 'created',
  encryptionCertificate: 'MIIBszCCAVmgAwIBAgIU',
  encryptionCertificateId: 'certificate-1',
  latestSupportedTlsVersion: 'v1_2',
  includeResourceData: false,
  pendingLifecycleEvent: '',
  lastRenewedAt: hoursFrom(now, -48),
  leaseUntil: hoursFrom(now, -47),
  recreateStartedAt: '',
  recreatedAt: hoursFrom(now, -72),
  lastMissedAt: hoursFrom(now, -50),
  lastErrorAt: hoursFrom(now, -49),
  lastErrorStatus: 503,
  lastErrorCode: 'ServiceUnavailable',
  lastErrorMessage: 'Graph was unavailable.',
  replaces: 'an-older-subscription-id',
});
