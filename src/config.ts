import { findIana } from 'windows-iana';
import { isLoopback } from './lib/loopback';
import { treatAsSecret } from './lib/redact';
import { SHORT_LIVED_FUNCTION_NAME } from './renewal/cadence';
import { readChannel } from './renewal/deliveryChannel';
import { OVERRIDE_EXAMPLE, parseLifetimeOverrides, type LifetimeOverride } from './renewal/lifetimeOverrides';
import { CENSUS_FUNCTION_NAME, RENEWAL_FUNCTION_NAME, RENEWAL_SCHEDULE, runIntervalMs } from './renewal/schedule';
import type { StorageConfig } from './storage/tableClient';


export interface Config {
  storage: StorageConfig;
  subscriptionsTable: string;
  runsTable: string;
  /** Lookups by id, the problems that need a person, and the stored census (src/storage/subscriptionIndex.ts). */
  indexTable: string;
  graph: {
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
  };
  /** Client id of the user-assigned managed identity; undefined means system-assigned or a developer credential. */
  managedIdentityClientId: string | undefined;
  /** App Service's managed-identity endpoint when the host provides one (running in Azure); not a secret. */
  managedIdentityEndpoint: string | undefined;
  renewal: {
    concurrency: number;
    marginHours: number;
    lifetimeHours: number;
    /** How long a run may start renewals; below host.json's functionTimeout (one hour). */
    runBudgetMs: number;
    /** Renewals in flight at once per mailbox (Outlook allows 4 concurrent requests per app per mailbox). */
    mailboxConcurrency: number;
  };
  /** Where a run hands the due subscriptions it has no time for; undefined: they wait for the next run. */
  queue: QueueConfig | undefined;
  schedule: {
    cron: string;
    /** IANA name used to compute the next run; the Functions host runs timers in this zone. */
    timeZone: string;
    timerDisabled: boolean;
    /** The renewShortLivedSubscriptions timer is disabled: nothing renews short-lived subscriptions. */
    shortTimerDisabled: boolean;
    /** The census timer (subscriptionCensus) is disabled: the status then says its summary is stale. */
    censusDisabled: boolean;
  };
  status: {
    maxRunAgeHours: number;
  };
  webhook: WebhookConfig;
  /**
   * What is wrong with the webhook settings, if anything. Kept apart rather than thrown: a bad client
   * state must stop registration, recreation and the lifecycle endpoint, never the renewals.
   */
  webhookProblem: string | undefined;
}

/** What creating subscriptions and checking lifecycle notifications take. */
export interface WebhookConfig {
  /** Sent to Graph with each new subscription and expected back in every notification. A secret. */
  clientState: string | undefined;
  /** Where Graph delivers change notifications for subscriptions registered without a URL of their own. */
  notificationUrl: string | undefined;
  /** This app's lifecycle endpoint (/api/webhooks/lifecycle), given to every new subscription. */
  lifecycleUrl: string | undefined;
  /** The mailbox a registration without a resource watches (the seed's setting). */
  userId: string | undefined;
}

/** The host's storage (AzureWebJobsStorage), where the queue-triggered function reads the hand-off queue. */
export interface QueueConfig {
  storage: { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };
  name: string;
}

/** A setting is missing or malformed; the message names it and says what to put there. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Every app setting this module reads. The README's configuration table, docs/configuration.md and
 * local.settings.sample.json list each one (a test keeps them in step).
 */
export const SETTINGS = [
  'TABLES_CONNECTION_STRING',
  'TABLES_ENDPOINT',
  'SUBSCRIPTIONS_TABLE',
  'RUNS_TABLE',
  'GRAPH_BASE_URL',
  'GRAPH_TIMEOUT_SECONDS',
  'GRAPH_MAX_ATTEMPTS',
  'GRAPH_RETRY_BASE_SECONDS',
  'AZURE_CLIENT_ID',
  'RENEWAL_CONCURRENCY',
  'RENEWAL_MARGIN_HOURS',
  'RENEWAL_LIFETIME_HOURS',
  'RENEWAL_RUN_BUDGET_MINUTES',
  'STATUS_MAX_RUN_AGE_HOURS',
  'WEBSITE_TIME_ZONE',
  `AzureWebJobs.${RENEWAL_FUNCTION_NAME}.Disabled`,
  'WEBHOOK_CLIENT_STATE',
  'WEBHOOK_NOTIFICATION_URL',
  'WEBHOOK_LIFECYCLE_URL',
  'GRAPH_USER_ID',
  'RENEWAL_MAILBOX_CONCURRENCY',
  'GRAPH_WRITES_PER_WINDOW',
  'GRAPH_WRITE_WINDOW_SECONDS',
  'RENEWAL_QUEUE',
  'AzureWebJobsStorage',
  'AzureWebJobsStorage__queueServiceUri',
  'GRAPH_LISTS_PER_WINDOW',
  'GRAPH_MAX_LIFETIMES',
  `AzureWebJobs.${SHORT_LIVED_FUNCTION_NAME}.Disabled`,
  'SUBSCRIPTION_INDEX_TABLE',
  `AzureWebJobs.${CENSUS_FUNCTION_NAME}.Disabled`,
] as const;

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads and validates every setting this app uses; the only reader of process.env. */
export function loadConfig(env: Env = process.env): Config {
  const graphBaseUrl = readGraphBaseUrl(env);
  const timeZone = readTimeZone(env);
  const renewal = readRenewal(env, timeZone);
  return {
    storage: readStorage(env),
    subscriptionsTable: readTableName(env, 'SUBSCRIPTIONS_TABLE', 'subscriptions'),
    runsTable: readTableName(env, 'RUNS_TABLE', 'renewalruns'),
    indexTable: readTableName(env, 'SUBSCRIPTION_INDEX_TABLE', 'subscriptionindex'),
    graph: {
      baseUrl: graphBaseUrl,
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
    },
    managedIdentityClientId: readClientId(env),
    managedIdentityEndpoint: [env.IDENTITY_ENDPOINT, env.MSI_ENDPOINT].find(present)?.trim(),
    renewal,
    schedule: {
      cron: RENEWAL_SCHEDULE,
      timeZone,
      timerDisabled: readTimerDisabled(env, RENEWAL_FUNCTION_NAME),
      shortTimerDisabled: readTimerDisabled(env, SHORT_LIVED_FUNCTION_NAME),
      censusDisabled: readTimerDisabled(env, CENSUS_FUNCTION_NAME),
    },
    status: {
      maxRunAgeHours: readNumber(env, 'STATUS_MAX_RUN_AGE_HOURS', 26, { min: 1, max: 720 }),
    },
    ...readWebhookOrProblem(env),
    queue: readQueue(env),
  };
}

const NO_WEBHOOK: WebhookConfig = { clientState: undefined, notificationUrl: undefined, lifecycleUrl: undefined, userId: undefined };

function readWebhookOrProblem(env: Env): Pick<Config, 'webhook' | 'webhookProblem'> {
  try {
    return { webhook: readWebhook(env), webhookProblem: undefined };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { webhook: NO_WEBHOOK, webhookProblem: error.message };
  }
}

/** The webhook settings; throws a ConfigError naming the first one that is wrong. */
function readWebhook(env: Env): WebhookConfig {
  return {
    clientState: readClientState(env),
    notificationUrl: readChannelSetting(env, 'WEBHOOK_NOTIFICATION_URL'),
    lifecycleUrl: readChannelSetting(env, 'WEBHOOK_LIFECYCLE_URL') ?? lifecycleUrlOfThisApp(env),
    userId: readUserId(env),
  };
}

/**
 * This app's own lifecycle endpoint, when WEBHOOK_LIFECYCLE_URL is unset: App Service sets
 * WEBSITE_HOSTNAME to the app's default host name, whatever the cloud (…azurewebsites.net,
 * …azurewebsites.us, …chinacloudsites.cn; learn.microsoft.com/azure/app-service/reference-app-settings).
 * Core Tools sets it to localhost:<port> (azure-functions-core-tools StartHostAction), which Graph
 * cannot reach: no default there. It is the platform's variable, not a setting, so it is not in
 * SETTINGS: Core Tools fails to start when local.settings.json sets it as well.
 */
function lifecycleUrlOfThisApp(env: Env): string | undefined {
  const host = env.WEBSITE_HOSTNAME?.trim();
  if (!present(host)) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(`https://${host}/api/webhooks/lifecycle`);
  } catch {
    url = undefined;
  }
  if (url?.host !== host.toLowerCase()) {
    throw new ConfigError('WEBSITE_HOSTNAME', `"${host.slice(0, 100)}" is not a host name. App Service sets it; remove it from the app settings, or set WEBHOOK_LIFECYCLE_URL.`);
  }
  return isLoopback(url.hostname) ? undefined : url.toString();
}

// Graph's limit (clientState, https://learn.microsoft.com/graph/api/resources/subscription); the value is a
// secret, so no message ever quotes it.
const MAX_CLIENT_STATE = 128;
const MIN_CLIENT_STATE = 16;

function readClientState(env: Env): string | undefined {
  const value = env.WEBHOOK_CLIENT_STATE;
  if (!present(value)) return undefined;
  if (/^@Microsoft\.KeyVault\(/i.test(value.trim())) {
    throw new ConfigError(
      'WEBHOOK_CLIENT_STATE',
      'is an unresolved Key Vault reference: the app cannot read the secret. Check that its identity has "Key Vault Secrets User" on the vault and that the secret exists (portal: the setting shows a red "Key Vault Reference" status).',
    );
  }
  if (value.length < MIN_CLIENT_STATE) {
    // It is what tells Graph's notifications from forged ones: a short one can be guessed.
    throw new ConfigError('WEBHOOK_CLIENT_STATE', `is ${value.length} characters long; use a random value of ${MIN_CLIENT_STATE} to ${MAX_CLIENT_STATE} characters, e.g. from "openssl rand -hex 32".`);
  }
  if (value.length > MAX_CLIENT_STATE) {
    throw new ConfigError('WEBHOOK_CLIENT_STATE', `is ${value.length} characters long; Graph accepts at most ${MAX_CLIENT_STATE}. Use a random value of 32 to 128 characters.`);
  }
  if (value !== value.trim()) {
    throw new ConfigError('WEBHOOK_CLIENT_STATE', 'starts or ends with white space, which is easy to lose when copying it: remove it.');
  }
  treatAsSecret(value);
  return value;
}

/** A notification or lifecycle URL: https, EventHub: or EventGrid: (renewal/deliveryChannel.ts). */
function readChannelSetting(env: Env, setting: string): string | undefined {
  const value = env[setting];
  if (!present(value)) return undefined;
  const channel = readChannel(value);
  // The value is not echoed: an Event Hubs connection string pasted here by mistake holds a key.
  if ('problem' in channel) throw new ConfigError(setting, channel.problem);
  return channel.value;
}

function readLifetimeOverrides(env: Env): LifetimeOverride[] {
  const value = env.GRAPH_MAX_LIFETIMES;
  if (!present(value)) return [];
  try {
    return parseLifetimeOverrides(value);
  } catch (error) {
    throw new ConfigError('GRAPH_MAX_LIFETIMES', `${(error as Error).message} Use kind=minutes or path/pattern=minutes, separated by ";", e.g. ${OVERRIDE_EXAMPLE}`);
  }
}

function readUserId(env: Env): string | undefined {
  const value = env.GRAPH_USER_ID;
  if (!present(value)) return undefined;
  const id = value.trim();
  // Graph names a user by object id or user principal name (GET /users/{id | userPrincipalName},
  // https://learn.microsoft.com/graph/api/user-get).
  if (!GUID.test(id) && !/^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/.test(id)) {
    throw new ConfigError('GRAPH_USER_ID', `"${id.slice(0, 100)}" is not a user: use the mailbox owner's object id (a GUID), or their user principal name.`);
  }
  return id;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The policy's knobs. Both must outlast the interval between two runs: a shorter margin lets a
 * subscription first become due at the last check before it expires (no second chance), and a
 * shorter lifetime lets every renewed subscription expire before the next check.
 */
function readRenewal(env: Env, timeZone: string): Config['renewal'] {
  // A day without a clock change; the policy's slack absorbs the 25-hour day.
  const intervalHours = runIntervalMs(RENEWAL_SCHEDULE, timeZone, new Date('2026-01-15T00:00:00Z')) / 3_600_000;
  const marginHours = readNumber(env, 'RENEWAL_MARGIN_HOURS', 36, {
    min: intervalHours,
    max: 720,
    reason: `less than the ${intervalHours} h between two runs would leave a subscription a single chance to be renewed`,
  });
  const lifetimeHours = readNumber(env, 'RENEWAL_LIFETIME_HOURS', 72, {
    min: intervalHours + 1,
    max: 720,
    reason: `a renewal must outlive the ${intervalHours} h until the next run`,
  });
  return {
    // Overall; the per-mailbox limit is what keeps Outlook from throttling, this one bounds sockets and memory.
    concurrency: readNumber(env, 'RENEWAL_CONCURRENCY', 16, { min: 1, max: 64, integer: true }),
    marginHours,
    lifetimeHours,
    runBudgetMs:
      readNumber(env, 'RENEWAL_RUN_BUDGET_MINUTES', 45, {
        min: 0.01,
        max: 1440,
        reason: "keep it under host.json's functionTimeout so the host never kills a run halfway",
      }) * 60_000,
    mailboxConcurrency: readNumber(env, 'RENEWAL_MAILBOX_CONCURRENCY', 4, {
      min: 1,
      max: 4,
      integer: true,
      reason: 'Outlook allows 4 concurrent requests per app per mailbox; more are throttled',
    }),
  };
}

// Queue names: 3-63 lowercase letters, digits and single hyphens; room left for the host's "-poison".
const QUEUE_NAME = /^(?=.{3,56}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The hand-off queue lives in the host's own storage (AzureWebJobsStorage), because that is where the
 * queue trigger reads it: a connection string (Azurite, keys) or the identity-based queue service URI.
 * Neither set: no hand-off, a run out of time leaves the rest for the next run.
 */
function readQueue(env: Env): QueueConfig | undefined {
  const value = env.RENEWAL_QUEUE;
  const name = present(value) ? value.trim() : 'subscription-renewals';
  if (!QUEUE_NAME.test(name)) {
    throw new ConfigError(
      'RENEWAL_QUEUE',
      `"${name}" is not a valid queue name: use 3 to 56 lowercase letters, digits and single hyphens (the host adds "-poison" for its poison queue).`,
    );
  }
  const endpoint = env['AzureWebJobsStorage__queueServiceUri'];
  if (present(endpoint)) {
    let url: URL;
    try {
      url = new URL(endpoint.trim());
    } catch {
      throw new ConfigError('AzureWebJobsStorage__queueServiceUri', 'is not a URL; put the queue service endpoint there, e.g. https://<account>.queue.core.windows.net');
    }
    if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
      throw new ConfigError('AzureWebJobsStorage__queueServiceUri', 'must use https (http is only accepted for a loopback emulator).');
    }
    return { name, storage: { kind: 'endpoint', endpoint: url.toString().replace(/\/$/, '') } };
  }
  const connectionString = env['AzureWebJobsStorage'];
  if (!present(connectionString)) return undefined;
  const trimmed = connectionString.trim();
  // The value holds an account key: never echo it in the message.
  if (trimmed !== 'UseDevelopmentStorage=true' && !/(^|;)\s*(AccountName|QueueEndpoint)\s*=/i.test(trimmed)) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is not a storage connection string (expected "UseDevelopmentStorage=true" or one with AccountName/QueueEndpoint).',
    );
  }
  return { name, storage: { kind: 'connectionString', connectionString: trimmed } };
}

function readStorage(env: Env): StorageConfig {
  const connectionString = env.TABLES_CONNECTION_STRING;
  const endpoint = env.TABLES_ENDPOINT;
  if (present(connectionString) && present(endpoint)) {
    throw new ConfigError(
      'TABLES_ENDPOINT',
      'set either TABLES_ENDPOINT (identity-based access) or TABLES_CONNECTION_STRING, not both.',
    );
  }
  if (present(endpoint)) {
    let url: URL;
    try {
      url = new URL(endpoint.trim());
    } catch {
      throw new ConfigError(
        'TABLES_ENDPOINT',
        'is not a URL; put the table service endpoint there, e.g. https://<account>.table.core.windows.net',
      );
    }
    if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
      throw new ConfigError('TABLES_ENDPOINT', 'must use https (http is only accepted for a loopback emulator).');
    }
    if (url.search !== '' || url.username !== '' || url.password !== '') {
      // A SAS token there would be a secret in a plain setting: the identity needs none.
      throw new ConfigError('TABLES_ENDPOINT', 'must be the endpoint alone, without a query string or credentials; access uses the managed identity.');
    }
    return { kind: 'endpoint', endpoint: url.toString().replace(/\/$/, '') };
  }
  if (present(connectionString)) {
    const value = connectionString.trim();
    // The value holds an account key: never echo it in the message.
    if (value !== 'UseDevelopmentStorage=true' && !/(^|;)\s*(AccountName|TableEndpoint)\s*=/i.test(value)) {
      throw new ConfigError(
        'TABLES_CONNECTION_STRING',
        'is not a storage connection string (expected "UseDevelopmentStorage=true" or one with AccountName/TableEndpoint).',
      );
    }
    // The SDK's own parser checks the rest when the client is built (wiring.ts): loading the SDK here
    // would put it on every function's start-up path.
    return { kind: 'connectionString', connectionString: value };
  }
  throw new ConfigError(
    'TABLES_ENDPOINT',
    'no table storage configured: set TABLES_ENDPOINT to https://<account>.table.core.windows.net (managed identity) or TABLES_CONNECTION_STRING to "UseDevelopmentStorage=true" for Azurite.',
  );
}

function readTableName(env: Env, setting: string, fallback: string): string {
  const value = env[setting];
  if (!present(value)) return fallback;
  const name = value.trim();
  if (!TABLE_NAME.test(name)) {
    throw new ConfigError(
      setting,
      `"${name}" is not a valid table name: use 3 to 63 letters and digits, starting with a letter (default "${fallback}").`,
    );
  }
  return name;
}

function readGraphBaseUrl(env: Env): string {
  const value = env.GRAPH_BASE_URL;
  if (!present(value)) return 'https://graph.microsoft.com';
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(
      'GRAPH_BASE_URL',
      `"${value}" is not a URL; use https://graph.microsoft.com, or your national cloud's Graph endpoint.`,
    );
  }
  // The Graph client only attaches the bearer token to https hosts.
  if (url.protocol !== 'https:') {
    throw new ConfigError('GRAPH_BASE_URL', `must be an https URL (got "${url.protocol}").`);
  }
  if (url.pathname !== '/' || url.search !== '') {
    throw new ConfigError(
      'GRAPH_BASE_URL',
      'must be the host only, without /v1.0 or a path, e.g. https://graph.microsoft.com',
    );
  }
  return url.origin;
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

interface NumberRule {
  min: number;
  max: number;
  integer?: boolean;
  /** Why the bounds are what they are, when it is not obvious. */
  reason?: string;
}

function readNumber(env: Env, setting: string, fallback: number, rule: NumberRule): number {
  const raw = env[setting];
  if (!present(raw)) return fallback;
  const value = Number(raw.trim());
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value)) || value < rule.min || value > rule.max) {
    throw new ConfigError(
      setting,
      `"${raw}" is not valid: use ${kind} from ${rule.min} to ${rule.max} (default ${fallback})${rule.reason ? `; ${rule.reason}` : ''}.`,
    );
  }
  return value;
}

/**
 * The host runs timers in WEBSITE_TIME_ZONE (a Windows id on Windows plans, an IANA name on Linux),
 * or UTC when it is unset; the status must compute the same next run.
 */
function readTimeZone(env: Env): string {
  const value = env.WEBSITE_TIME_ZONE;
  if (!present(value)) return 'UTC';
  const name = value.trim();
  if (isIanaZone(name)) return name;
  const fromWindows = findIana(name)?.[0];
  if (fromWindows && isIanaZone(fromWindows)) return fromWindows;
  throw new ConfigError(
    'WEBSITE_TIME_ZONE',
    `"${name}" is not a known time zone: use "Romance Standard Time" on Windows or "Europe/Paris" on Linux (Premium or Dedicated plans).`,
  );
}

function isIanaZone(name: string): boolean {
  if (!name.includes('/') && name !== 'UTC') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The portal disables a function with AzureWebJobs.<name>.Disabled; Linux app settings cannot hold
 * dots, so the same flag may arrive with underscores.
 */
function readTimerDisabled(env: Env, functionName: string): boolean {
  const names = [`AzureWebJobs.${functionName}.Disabled`, `AzureWebJobs_${functionName}_Disabled`, `AzureWebJobs__${functionName}__Disabled`];
  for (const name of names) {
    const value = env[name];
    if (!present(value)) continue;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true' || normalized === '1') return true;
    if (normalized === 'false' || normalized === '0') continue;
    throw new ConfigError(name, `"${value}" is not valid: use true or false.`);
  }
  return false;
}
