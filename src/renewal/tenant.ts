/** The home tenant's name where HOME_TENANT_ID is not set (a tenant id is a GUID: no clash). */
export const HOME_TENANT = 'home';

/**
 * A customer tenant this deployment keeps subscriptions in, as the tenants table holds it. The home
 * tenant (where the managed identity lives) is never stored: it is always there.
 */
export interface TenantRecord {
  /** The tenant id (a GUID, lower case). */
  id: string;
  displayName?: string;
  addedAt: Date;
  /** The last token asked for it: `granted` (a token came), `missing` (Entra refused: no consent, or withdrawn). */
  consentState: 'granted' | 'missing';
  lastTokenAt?: Date;
  lastErrorAt?: Date;
  /** Why the last token was refused (redacted), while `consentState` is `missing`. */
  lastErrorMessage?: string;
}

/**
 * Where the tenant's admin grants the multi-tenant app its permissions (the admin consent endpoint of
 * the Microsoft identity platform: learn.microsoft.com/entra/identity-platform/v2-admin-consent).
 * Opening it signs the admin in to their own tenant and lists the application permissions asked for.
 */
export function adminConsentUrl(authorityHost: string, tenantId: string, appClientId: string): string {
  return `${authorityHost}/${encodeURIComponent(tenantId)}/adminconsent?client_id=${encodeURIComponent(appClientId)}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant id as given by a person: a GUID, in lower case; undefined when it is not one. */
export function readTenantId(value: unknown): string | undefined {
  if (typeof value !== 'string' || !GUID.test(value.trim())) return undefined;
  return value.trim().toLowerCase();
}

/** The tenant's last token request failed (its error is newer than its last token). */
export function lastTokenFailed(tenant: TenantRecord): boolean {
  if (!tenant.lastErrorAt || !tenant.lastErrorMessage) return false;
  return !tenant.lastTokenAt || tenant.lastErrorAt.getTime() >= tenant.lastTokenAt.getTime();
}
