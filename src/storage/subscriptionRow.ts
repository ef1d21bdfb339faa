import {
  OPTIONAL_DEFINITION_FIELDS,
  type RenewalFailure,
  type StoredRow,
  type SubscriptionDefinition,
} from '../renewal/subscription';
import { readTenantId } from '../renewal/tenant';

/** A subscription row as the table holds it (see README, "Table schema"). */
export interface SubscriptionEntity {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  resource?: unknown;
  expirationDateTime?: unknown;
  state?: unknown;
  consecutiveFailures?: unknown;
  lastRenewedAt?: unknown;
  lastErrorAt?: unknown;
  lastErrorStatus?: unknown;
  lastErrorCode?: unknown;
  lastErrorMessage?: unknown;
  [property: string]: unknown;
}

// ISO 8601 with an explicit zone: a date without one would be read in whatever zone the host has.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Reads a DateTime property, or an ISO 8601 string typed by hand in Storage Explorer. */
export function readDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' && ISO_WITH_ZONE.test(value.trim())) {
    const date = new Date(value.trim());
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

/** Reads one table entity as a subscription, or says precisely what is wrong with it. */
export function toStoredRow(entity: SubscriptionEntity): StoredRow {
  const where = { partitionKey: entity.partitionKey, rowKey: entity.rowKey };
  const malformed = (problem: string): StoredRow => ({ ok: false, ...where, problem });

  if (typeof entity.rowKey !== 'string' || entity.rowKey.trim() === '') {
    return malformed('RowKey is empty: it must hold the Graph subscription id.');
  }
  if (typeof entity.resource !== 'string' || entity.resource.trim() === '') {
    return malformed('resource is missing: put the Graph resource path there, e.g. users/{id}/messages.');
  }
  const expiration = readDate(entity.expirationDateTime);
  if (!expiration) {
    return malformed(
      `expirationDateTime ${entity.expirationDateTime === undefined ? 'is missing' : 'is not a date'}: use a DateTime, or an ISO 8601 string with a zone such as 2026-02-17T15:00:00Z.`,
    );
  }
  const state = typeof entity.state === 'string' ? entity.state.trim().toLowerCase() : (entity.state ?? 'active');
  if (state !== 'active' && state !== 'expired') {
    return malformed(`state "${String(entity.state)}" is not "active" or "expired".`);
  }
  const failures = entity.consecutiveFailures === undefined ? 0 : readCount(entity.consecutiveFailures);
  if (failures === undefined) {
    return malformed('consecutiveFailures must be a whole number, 0 or more.');
  }
  const definition = readDefinition(entity);
  if (typeof definition === 'string') return malformed(definition);
  const written = checkWrittenFields(entity);
  if (written) return malformed(written);
  const tenant = entity.tenantId;
  if (tenant !== undefined && tenant !== null && tenant !== '' && readTenantId(tenant) === undefined) {
    return malformed(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a stored value of any type, named as it is
      `tenantId "${String(tenant).slice(0, 60)}" is not a tenant id (a GUID): put the customer tenant's id there, or leave it empty for the home tenant.`,
    );
  }
  const pending = entity.pendingLifecycleEvent;
  if (
    pending !== undefined &&
    pending !== '' &&
    pending !== 'reauthorizationRequired' &&
    pending !== 'subscriptionRemoved'
  ) {
    return malformed(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a stored value of any type, named as it is
      `pendingLifecycleEvent "${String(pending)}" is not "reauthorizationRequired", "subscriptionRemoved" or empty.`,
    );
  }
  return {
    ok: true,
    subscription: {
      partitionKey: entity.partitionKey,
      id: entity.rowKey,
      // A column typed by hand may differ in case; tenant ids are compared in lower case everywhere.
      ...(readTenantId(tenant) ? { tenantId: readTenantId(tenant) } : {}),
      resource: entity.resource.trim(),
      ...definition,
      expirationDateTime: expiration,
      state,
      consecutiveFailures: failures,
      lastRenewedAt: readDate(entity.lastRenewedAt),
      lastFailure: readFailure(entity),
      leaseUntil: readDate(entity.leaseUntil),
      recreateStartedAt: readDate(entity.recreateStartedAt),
      replaces: typeof entity.replaces === 'string' && entity.replaces !== '' ? entity.replaces : undefined,
      recreatedAt: readDate(entity.recreatedAt),
      pendingLifecycleEvent: pending ? pending : undefined,
      lastMissedAt: readDate(entity.lastMissedAt),
      // A mark the app writes for the 10-minute timer's selection; anything but true reads as not short-lived.
      shortLived: entity.shortLived === true,
      etag: entity.etag ?? '*',
    },
  };
}

/**
 * A whole number 0 or more, whichever way the row stores it: Int32 and Double arrive as numbers,
 * Int64 as { value: "5", type: "Int64" } (Storage Explorer's default for numbers typed by hand).
 */
function readCount(value: unknown): number | undefined {
  const raw = typeof value === 'object' && value !== null && 'value' in value ? Number(value.value) : value;
  return typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : undefined;
}

function readFailure(entity: SubscriptionEntity): RenewalFailure | undefined {
  const at = readDate(entity.lastErrorAt);
  if (!at) return undefined;
  return {
    at,
    statusCode: readCount(entity.lastErrorStatus) ?? 0,
    code: typeof entity.lastErrorCode === 'string' ? entity.lastErrorCode : 'Unknown',
    message: typeof entity.lastErrorMessage === 'string' ? entity.lastErrorMessage : '',
  };
}

/**
 * The two properties that keep two workers apart and a recreation from making a duplicate, checked
 * like the definition: the app only ever writes a date there, so anything else was typed by hand,
 * and reading it as absent could hide a lease or a recreation under way. (The properties that only
 * inform, lastError*, lastRenewedAt, recreatedAt, lastMissedAt, replaces, are read as absent when
 * unreadable: refusing the row for them would stop its renewals, and its next write replaces them.)
 */
const GUARD_DATES = ['leaseUntil', 'recreateStartedAt'] as const;

function checkWrittenFields(entity: SubscriptionEntity): string | undefined {
  const empty = (value: unknown) => value === undefined || value === null || value === '';
  for (const field of GUARD_DATES) {
    if (!empty(entity[field]) && !readDate(entity[field])) {
      return `${field} is not a date: use a DateTime, an ISO 8601 string with a zone such as 2026-02-17T15:00:00Z, or leave it empty.`;
    }
  }
  return undefined;
}

/** The row properties that record a failure; the expiration is never among them. */
export function failureProperties(failure: RenewalFailure) {
  return {
    lastErrorAt: failure.at,
    lastErrorStatus: failure.statusCode,
    lastErrorCode: failure.code,
    // Table string properties hold at most 32K characters; an error message needs far less.
    lastErrorMessage: failure.message.slice(0, 1000),
  };
}

const TEXT_FIELDS = ['changeType', 'notificationUrl', ...OPTIONAL_DEFINITION_FIELDS] as const;

/** The optional definition fields: absent or empty is fine (the row can still be renewed), another type is not. */
function readDefinition(entity: SubscriptionEntity): Partial<SubscriptionDefinition> | string {
  const definition: Partial<SubscriptionDefinition> = {};
  for (const field of TEXT_FIELDS) {
    const value = entity[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return `${field} must be text.`;
    definition[field] = value.trim();
  }
  const include = entity.includeResourceData;
  if (include !== undefined && include !== null && include !== '') {
    if (typeof include === 'boolean') definition.includeResourceData = include;
    else if (include === 'true' || include === 'false') definition.includeResourceData = include === 'true';
    else return 'includeResourceData must be true or false.';
  }
  return definition;
}

/** The row properties that hold a definition (the partition and RowKey aside). */
export function definitionProperties(definition: SubscriptionDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    resource: definition.resource,
    changeType: definition.changeType,
    notificationUrl: definition.notificationUrl,
  };
  for (const field of OPTIONAL_DEFINITION_FIELDS) if (definition[field]) properties[field] = definition[field];
  if (definition.includeResourceData !== undefined) properties.includeResourceData = definition.includeResourceData;
  return properties;
}

/** The row properties a subscription created (or adopted) on Graph gets; its id is the RowKey. */
export function newRowProperties(
  definition: SubscriptionDefinition,
  created: { id: string; expirationDateTime: Date },
  at: Date,
  shortLived: boolean,
  tenantId?: string,
): Record<string, unknown> {
  return {
    ...definitionProperties(definition),
    // Absent for the home tenant: rows written before tenants existed read the same.
    ...(tenantId ? { tenantId } : {}),
    expirationDateTime: created.expirationDateTime,
    state: 'active',
    consecutiveFailures: 0,
    lastRenewedAt: at,
    shortLived,
  };
}

/** On a row whose id the index knows (written by this version, or backfilled by the census). */
export const INDEXED = { idIndexed: true } as const;
