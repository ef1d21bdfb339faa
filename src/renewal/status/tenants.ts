import { adminConsentUrl, lastTokenFailed, type TenantRecord } from '../tenant';
import type { Problem } from './problems';
import type { StatusSettings } from './statusSettings';
import type { TenantCensus } from './summary';

/** One tenant as the status JSON and the page show it. */
export interface TenantStatus {
  tenant_id: string;
  display_name: string | null;
  home: boolean;
  /** `managedIdentity` for the home tenant; a customer tenant's last token: `granted` or `missing`; `notAdded`: rows name it, it was never added. */
  consent: 'managedIdentity' | 'granted' | 'missing' | 'notAdded';
  consent_url: string | null;
  last_token_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  total: number;
  active: number;
  due_before_next_run: number;
  expired: number;
  failing: number;
  cannot_be_kept_alive: number;
  soonest_expiration: string | null;
}

/**
 * Each tenant's counts (from the census) and health (from the tenants table), with a problem for a
 * tenant that gives no token and for rows naming a tenant never added: their subscriptions are not
 * renewed, and only a person can change that.
 */
export function tenantsReport(
  census: TenantCensus[] | undefined,
  records: TenantRecord[],
  tenancy: NonNullable<StatusSettings['tenancy']>,
  now: Date,
): { tenants: TenantStatus[]; problems: Problem[] } {
  // Rows without a tenant and rows naming the home tenant by its id are both the home tenant's.
  const counted = new Map<string, TenantCensus>();
  for (const entry of census ?? []) {
    const key = entry.tenantId ?? tenancy.homeTenant;
    const other = counted.get(key);
    counted.set(key, other ? merged(other, entry) : entry);
  }
  const home = counted.get(tenancy.homeTenant);
  const consentUrl = (id: string) =>
    tenancy.appClientId ? adminConsentUrl(tenancy.authorityHost, id, tenancy.appClientId) : null;
  const tenants: TenantStatus[] = [
    { ...describe(tenancy.homeTenant, home, now), home: true, consent: 'managedIdentity', consent_url: null },
  ];
  const problems: Problem[] = [];
  const known = new Set([tenancy.homeTenant]);
  for (const record of records) {
    known.add(record.id);
    const entry = counted.get(record.id);
    const status: TenantStatus = {
      ...describe(record.id, entry, now),
      display_name: record.displayName ?? null,
      consent: record.consentState,
      consent_url: consentUrl(record.id),
      last_token_at: record.lastTokenAt?.toISOString() ?? null,
      last_error_at: record.lastErrorAt?.toISOString() ?? null,
      last_error: lastTokenFailed(record) ? (record.lastErrorMessage ?? null) : null,
    };
    tenants.push(status);
    if (record.consentState !== 'missing' && lastTokenFailed(record)) {
      problems.push({
        kind: 'tenant',
        text: `Tenant ${record.id}${record.displayName ? ` (${record.displayName})` : ''} gave no token at ${record.lastErrorAt!.toISOString()}, for a reason other than consent: its due subscriptions were not renewed then.`,
        what_to_do:
          "Usually passing (Entra or the network): the next run tries again. If it stays: check the managed identity's token for api://AzureADTokenExchange and the app's federated identity credential (docs/tenants.md); the error is in the tenant's last_error and the tenantUnavailable trace.",
      });
    }
    if (record.consentState === 'missing') {
      const name = record.displayName ? ` (${record.displayName})` : '';
      problems.push({
        kind: 'tenant',
        text: `Tenant ${record.id}${name} gives no token since ${record.lastErrorAt?.toISOString() ?? 'its last run'}: its ${status.active} active subscription(s) are not being renewed.`,
        what_to_do: `Its admin must grant the app consent again by opening ${status.consent_url ?? 'the admin consent URL'}; the next run then renews them (or run \`npm run ops -- renew --tenant ${record.id}\`). To stop keeping them: \`npm run ops -- tenant remove ${record.id}\`.`,
      });
    }
  }
  for (const [id, entry] of counted) {
    if (known.has(id)) continue;
    tenants.push({ ...describe(id, entry, now), consent: 'notAdded', consent_url: consentUrl(id) });
    problems.push({
      kind: 'tenant',
      text: tenancy.appClientId
        ? `${entry.total} subscription row(s) name tenant ${id}, which was never added (or was removed): they are renewed only while it gives a token, and nothing records its health.`
        : `${entry.total} subscription row(s) name tenant ${id}, but MULTI_TENANT_APP_CLIENT_ID is not set: they are not being renewed.`,
      what_to_do: tenancy.appClientId
        ? `Add it (\`npm run ops -- tenant add ${id}\`, once its admin has consented at ${consentUrl(id)}), or remove its rows.`
        : 'Rows of a customer tenant need MULTI_TENANT_APP_CLIENT_ID (docs/tenants.md); or clear their tenantId if they are in this tenant.',
    });
  }
  return { tenants, problems };
}

function describe(id: string, entry: TenantCensus | undefined, now: Date): TenantStatus {
  const soonest = entry?.soonestExpiration;
  return {
    tenant_id: id,
    display_name: null,
    home: false,
    consent: 'granted',
    consent_url: null,
    last_token_at: null,
    last_error_at: null,
    last_error: null,
    total: entry?.total ?? 0,
    active: entry?.active ?? 0,
    due_before_next_run: entry?.due_before_next_run ?? 0,
    expired: entry?.expired ?? 0,
    failing: entry?.failing ?? 0,
    cannot_be_kept_alive: entry?.cannot_be_kept_alive ?? 0,
    soonest_expiration: soonest && soonest.getTime() > now.getTime() ? soonest.toISOString() : null,
  };
}

function merged(a: TenantCensus, b: TenantCensus): TenantCensus {
  const soonest = [a.soonestExpiration, b.soonestExpiration].filter((d): d is Date => d !== undefined);
  return {
    tenantId: a.tenantId ?? b.tenantId,
    total: a.total + b.total,
    active: a.active + b.active,
    due_before_next_run: a.due_before_next_run + b.due_before_next_run,
    expired: a.expired + b.expired,
    failing: a.failing + b.failing,
    cannot_be_kept_alive: a.cannot_be_kept_alive + b.cannot_be_kept_alive,
    ...(soonest.length > 0 ? { soonestExpiration: new Date(Math.min(...soonest.map((d) => d.getTime()))) } : {}),
  };
}
