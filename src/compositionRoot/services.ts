import type { TokenCredential } from '@azure/identity';
import { type Config, ConfigError, tablesAllowInsecureConnection } from '../config';
import { createCredential, describeIdentity, GraphTokens, identityAdvice } from '../graph/credential';
import { TenantGraphRegistry, withHeadroom } from '../graph/tenantGraphs';
import { AppWideRate } from '../graph/tenantRate';
import { redact, treatAsSecret } from '../lib/redact';
import { GraphRules } from '../renewal/policy/graphRules';
import { applyOverrides } from '../renewal/policy/lifetimeOverrides';
import type { Log } from '../renewal/ports';
import { HOME_TENANT } from '../renewal/tenant';
import type { LearntMaximumTable } from '../storage/learntMaximumTable';
import { createRenewalQueue, type RenewalQueue } from '../storage/renewalQueue';
import { RunTable } from '../storage/runTable';
import { SubscriptionCatalogueTable } from '../storage/subscriptionCatalogue';
import { SubscriptionIndex } from '../storage/subscriptionIndex';
import { SubscriptionTable } from '../storage/subscriptionTable';
import { createTableClient } from '../storage/tableClient';
import { TenantTable } from '../storage/tenantTable';

/** The app's clients, built once per process from the validated configuration. */
export interface Services {
  config: Config;
  subscriptions: SubscriptionTable;
  runs: RunTable;
  /** The short-lived timer's runs: a partition of their own in the run-history table. */
  shortRuns: RunTable;
  /** Lookups by id, the problems, and the stored census (SUBSCRIPTION_INDEX_TABLE). */
  index: SubscriptionIndex;
  /** The table and its index as the manual operations read them. */
  catalogue: SubscriptionCatalogueTable;
  /** Each tenant's Graph: the home tenant's with the managed identity, customer tenants' with the multi-tenant app. */
  graphs: TenantGraphRegistry;
  /** The customer tenants added (TENANTS_TABLE). */
  tenants: TenantTable;
  /** How the home tenant is named in event lines, answers and the status: HOME_TENANT_ID, or `home`. */
  homeTenant: string;
  /** Graph's lifetime rules for this process, with what Graph taught any instance (see `currentRules`). */
  rules: GraphRules;
  learntMaxima: LearntMaximumTable;
  /** Where a run hands what it has no time for; undefined when the host's storage is not configured. */
  renewalQueue: RenewalQueue | undefined;
}

let built: { key: string; services: Services } | undefined;

/**
 * A table client; a connection string the storage SDK's own parser refuses is a ConfigError naming
 * the setting (what passes here, the app can connect with). The value holds a key: never echoed.
 */
function tableClient(config: Config, table: string, credential: TokenCredential) {
  try {
    return createTableClient(config.storage, table, credential, {
      allowInsecureConnection: tablesAllowInsecureConnection(config.storage),
    });
  } catch {
    throw new ConfigError(
      'TABLES_CONNECTION_STRING',
      'could not be read as a storage connection string: copy it whole from the portal (Access keys), or use "UseDevelopmentStorage=true" for Azurite.',
    );
  }
}

/**
 * Builds the clients for `config`, or returns those already built for the same configuration, so
 * that a warm instance reuses its connections and its cached Graph token.
 */
export function servicesFor(config: Config): Services {
  // The client state has no pattern to recognise it by: from now on every log line and answer hides it.
  if (config.webhook.clientState !== undefined) treatAsSecret(config.webhook.clientState);
  const key = JSON.stringify(config);
  if (built?.key === key) return built.services;

  const { tenancy } = config;
  // One credential for Graph and, with TABLES_ENDPOINT, for the tables.
  const credential = createCredential(config);
  const tokens = new GraphTokens(
    credential,
    `${config.graph.baseUrl}/.default`,
    describeIdentity(config),
    identityAdvice(config),
  );
  const runsClient = tableClient(config, config.runsTable, credential);
  const runs = new RunTable(runsClient);
  const index = new SubscriptionIndex(tableClient(config, config.indexTable, credential));
  const subscriptions = new SubscriptionTable(
    tableClient(config, config.subscriptionsTable, credential),
    undefined,
    index,
  );
  const services: Services = {
    config,
    subscriptions,
    runs,
    shortRuns: new RunTable(runsClient, 'shortrun'),
    index,
    catalogue: new SubscriptionCatalogueTable(subscriptions, index),
    rules: new GraphRules(applyOverrides(config.graph.lifetimeOverrides)),
    learntMaxima: runs.learntMaxima(),
    // One registry per process: the timer runs, the queue messages and the requests this instance
    // handles share each tenant's ceiling and the app-wide one.
    graphs: new TenantGraphRegistry(
      {
        baseUrl: config.graph.baseUrl,
        timeoutMs: config.graph.timeoutMs,
        maxAttempts: config.graph.maxAttempts,
        baseDelayMs: config.graph.retryBaseMs,
        writesPerWindow: config.graph.writesPerWindow,
        listsPerWindow: config.graph.listsPerWindow,
        windowMs: config.graph.writeWindowMs,
        appWrites: new AppWideRate({
          writesPerWindow: withHeadroom(tenancy.appWritesPerWindow),
          windowMs: config.graph.writeWindowMs,
        }),
        appLists: new AppWideRate({
          writesPerWindow: withHeadroom(tenancy.appListsPerWindow),
          windowMs: config.graph.writeWindowMs,
        }),
        multiTenant: tenancy.multiTenantAppClientId
          ? { appClientId: tenancy.multiTenantAppClientId, authorityHost: tenancy.authorityHost }
          : undefined,
        homeTenantId: tenancy.homeTenantId,
      },
      tokens,
      credential,
      { description: describeIdentity(config), advice: identityAdvice(config) },
    ),
    tenants: new TenantTable(tableClient(config, tenancy.tenantsTable, credential)),
    homeTenant: tenancy.homeTenantId ?? HOME_TENANT,
    renewalQueue: config.queue ? createRenewalQueue(config.queue, credential) : undefined,
  };
  built = { key, services };
  return services;
}

// What Graph taught is read again at most this often: every run starts with it, and a burst of
// lifecycle notifications does not read it once per request.
const LEARNT_TTL_MS = 60_000;
let learntReadAt: { services: Services; at: number; reading: Promise<void> } | undefined;

/**
 * The rules in force: this process's, after reading again what Graph taught any instance (the run
 * history's learnt maxima). A table that cannot be read leaves the rules as they were: asking within
 * the documented maximum costs at worst one refusal.
 */
export async function currentRules(services: Services, log: Log, fresh = false): Promise<GraphRules> {
  const now = Date.now();
  if (fresh || learntReadAt?.services !== services || now - learntReadAt.at > LEARNT_TTL_MS) {
    const reading = services.learntMaxima.load().then(
      (learnt) => services.rules.useLearnt(learnt),
      (error: unknown) =>
        log.warn(
          `Could not read the maxima Graph stated earlier; asking within the rules: ${redact((error as Error).message)}`,
        ),
    );
    learntReadAt = { services, at: now, reading };
  }
  await learntReadAt.reading;
  return services.rules;
}
