import { type LifetimeOverride, OVERRIDE_EXAMPLE, parseLifetimeOverrides } from '../renewal/policy/lifetimeOverrides';
import { ConfigError } from './configError';
import { type Env, GUID, present, readNumber } from './env';
import { readHttpsHost } from './url';

/** How this app talks to Graph: where, how patiently, and within which of Graph's ceilings. */
export interface GraphConfig {
  baseUrl: string;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  /** Graph's ceiling on subscription writes per app per tenant: this many per window. */
  writesPerWindow: number;
  writeWindowMs: number;
  /** Graph's ceiling on GET /subscriptions (the list) per app per tenant, in the same window. */
  listsPerWindow: number;
  /** GRAPH_MAX_LIFETIMES: maxima that replace or add to the documented table (renewal/graphRules.ts). */
  lifetimeOverrides: LifetimeOverride[];
}

/** The identity the app gets its tokens with. */
export interface IdentityConfig {
  /** Client id of the user-assigned managed identity; undefined means system-assigned or a developer credential. */
  managedIdentityClientId: string | undefined;
  /** App Service's managed-identity endpoint when the host provides one (running in Azure); not a secret. */
  managedIdentityEndpoint: string | undefined;
}

/** The Graph settings; `baseUrl` is read first (readGraphBaseUrl), before the other areas. */
export function readGraph(env: Env, baseUrl: string): GraphConfig {
  return {
    baseUrl,
    timeoutMs: readNumber(env, 'GRAPH_TIMEOUT_SECONDS', 30, { min: 1, max: 300 }) * 1000,
    maxAttempts: readNumber(env, 'GRAPH_MAX_ATTEMPTS', 4, { min: 1, max: 10, integer: true }),
    retryBaseMs: readNumber(env, 'GRAPH_RETRY_BASE_SECONDS', 1, { min: 0, max: 60 }) * 1000,
    // Subscription writes (POST, PATCH, DELETE): 500 per 20 s per app per tenant, 2,000 across tenants
    // (learn.microsoft.com/graph/throttling-limits, "Subscription service limits").
    writesPerWindow: readNumber(env, 'GRAPH_WRITES_PER_WINDOW', 500, { min: 20, max: 100_000, integer: true }),
    writeWindowMs: readNumber(env, 'GRAPH_WRITE_WINDOW_SECONDS', 20, { min: 0.1, max: 3600 }) * 1000,
    // GET /subscriptions: 25 per 20 s per app per tenant (same page).
    listsPerWindow: readNumber(env, 'GRAPH_LISTS_PER_WINDOW', 25, { min: 1, max: 10_000, integer: true }),
    lifetimeOverrides: readLifetimeOverrides(env),
  };
}

export function readIdentity(env: Env): IdentityConfig {
  return {
    managedIdentityClientId: readClientId(env),
    managedIdentityEndpoint: [env.IDENTITY_ENDPOINT, env.MSI_ENDPOINT].find(present)?.trim(),
  };
}

/** GRAPH_BASE_URL: the host only, https (the Graph client only attaches the bearer token to https hosts). */
export function readGraphBaseUrl(env: Env): string {
  return readHttpsHost(env, 'GRAPH_BASE_URL', {
    fallback: 'https://graph.microsoft.com',
    notAUrl: (value) =>
      `"${value}" is not a URL; use https://graph.microsoft.com, or your national cloud's Graph endpoint.`,
    hostOnly: 'must be the host only, without /v1.0 or a path, e.g. https://graph.microsoft.com',
  });
}

function readLifetimeOverrides(env: Env): LifetimeOverride[] {
  const value = env.GRAPH_MAX_LIFETIMES;
  if (!present(value)) return [];
  try {
    return parseLifetimeOverrides(value);
  } catch (error) {
    throw new ConfigError(
      'GRAPH_MAX_LIFETIMES',
      `${(error as Error).message} Use kind=minutes or path/pattern=minutes, separated by ";", e.g. ${OVERRIDE_EXAMPLE}`,
    );
  }
}

function readClientId(env: Env): string | undefined {
  const value = env.AZURE_CLIENT_ID;
  if (!present(value)) return undefined;
  if (!GUID.test(value.trim())) {
    throw new ConfigError(
      'AZURE_CLIENT_ID',
      'must be the client id (a GUID) of the user-assigned managed identity, or be left unset for a system-assigned one.',
    );
  }
  return value.trim();
}
