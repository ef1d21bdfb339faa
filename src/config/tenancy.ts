import { ConfigError } from './configError';
import { type Env, GUID, present, readNumber } from './env';
import { readTableName } from './storage';
import { readHttpsHost } from './url';

/**
 * Which tenants this deployment keeps subscriptions in. The home tenant (where the managed identity
 * lives) always; customer tenants only with a multi-tenant app registration that trusts the managed
 * identity through a federated identity credential (docs/tenants.md): then no secret exists anywhere.
 */
export interface TenancyConfig {
  /** MULTI_TENANT_APP_CLIENT_ID: the multi-tenant app's client id; undefined: the home tenant only. */
  multiTenantAppClientId: string | undefined;
  /** HOME_TENANT_ID: the home tenant's id; rows without a tenant belong to it. Undefined: called "home". */
  homeTenantId: string | undefined;
  /** AZURE_AUTHORITY_HOST: where tokens for customer tenants are asked for (national clouds; the tests' emulator). */
  authorityHost: string;
  /** TENANTS_TABLE: the customer tenants onboarded. */
  tenantsTable: string;
  /** Graph's ceilings per app across every tenant, in the per-tenant window (GRAPH_WRITE_WINDOW_SECONDS). */
  appWritesPerWindow: number;
  appListsPerWindow: number;
}

export function readTenancy(env: Env): TenancyConfig {
  const tenancy: TenancyConfig = {
    multiTenantAppClientId: readGuid(
      env,
      'MULTI_TENANT_APP_CLIENT_ID',
      'must be the client id (a GUID) of the multi-tenant app registration (the multiTenantAppClientId output of `azd up` with MULTI_TENANT=true), or be left unset for one tenant.',
    ),
    homeTenantId: readGuid(
      env,
      'HOME_TENANT_ID',
      'must be the id (a GUID) of the tenant the app and its managed identity are in (`az account show --query tenantId`), or be left unset.',
    ),
    authorityHost: readAuthorityHost(env),
    tenantsTable: readTableName(env, 'TENANTS_TABLE', 'tenants'),
    // Subscription writes: 2,000 per 20 s per app across all tenants; lists 40
    // (learn.microsoft.com/graph/throttling-limits, "Subscription service limits").
    appWritesPerWindow: readNumber(env, 'GRAPH_APP_WRITES_PER_WINDOW', 2000, {
      min: 20,
      max: 1_000_000,
      integer: true,
    }),
    appListsPerWindow: readNumber(env, 'GRAPH_APP_LISTS_PER_WINDOW', 40, { min: 1, max: 100_000, integer: true }),
  };
  // Without it, the app's own tenant could be added as a customer one, and reached through the app.
  if (tenancy.multiTenantAppClientId && !tenancy.homeTenantId)
    throw new ConfigError(
      'HOME_TENANT_ID',
      'must be set with MULTI_TENANT_APP_CLIENT_ID: the id (a GUID) of the tenant the app and its managed identity are in (`az account show --query tenantId`; infra sets it).',
    );
  return tenancy;
}

function readGuid(env: Env, setting: string, advice: string): string | undefined {
  const value = env[setting];
  if (!present(value)) return undefined;
  if (!GUID.test(value.trim())) throw new ConfigError(setting, advice);
  return value.trim().toLowerCase();
}

/** AZURE_AUTHORITY_HOST, the name @azure/identity reads too: https, the host only. */
function readAuthorityHost(env: Env): string {
  return readHttpsHost(env, 'AZURE_AUTHORITY_HOST', {
    fallback: 'https://login.microsoftonline.com',
    notAUrl: (value) =>
      `"${value}" is not a URL; use https://login.microsoftonline.com, or your national cloud's Entra endpoint.`,
    hostOnly: 'must be the host only, e.g. https://login.microsoftonline.com',
  });
}
