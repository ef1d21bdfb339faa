import { ConfigError, tablesAllowInsecureConnection, type Config } from './config';
import {
  SHORT_LIVED_LEASE_MS,
  SHORT_LIVED_RUN_BUDGET_MS,
  SHORT_LIVED_SCHEDULE,
  type Schedules,
} from './renewal/cadence';
import { GraphRules } from './renewal/graphRules';
import { applyOverrides } from './renewal/lifetimeOverrides';
import type { Log } from './renewal/ports';
import { leaseMs } from './renewal/policy';
import type { RenewalContext } from './renewal/renewSubscription';
import type { RenewalRunInput } from './renewal/run';
import type { RunTrigger } from './renewal/runRecord';
import type { QueuedRenewalInput } from './renewal/renewQueued';
import { CENSUS_FUNCTION_NAME, CENSUS_SCHEDULE, RENEWAL_FUNCTION_NAME, scheduleFrom } from './renewal/schedule';
import { ABANDONED_RUN_HOURS, type StatusInput } from './renewal/status';
import { createGraphClient } from './graph/client';
import { createCredential, describeIdentity, GraphTokens, identityAdvice } from './graph/credential';
import { MAX_RETRY_AFTER_MS } from './graph/retry';
import { GraphSubscriptions } from './graph/subscriptions';
import { WriteRateLimiter } from './graph/writeRate';
import { createRenewalQueue, type RenewalQueue } from './storage/renewalQueue';
import { redact, treatAsSecret } from './lib/redact';
import type { RunScope } from './renewal/cadence';
import type { LearntMaximumTable } from './storage/learntMaximumTable';
import { RunTable } from './storage/runTable';
import { SubscriptionIndex } from './storage/subscriptionIndex';
import { SubscriptionTable } from './storage/subscriptionTable';
import { createTableClient } from './storage/tableClient';
import type { TokenCredential } from '@azure/identity';
import { runCensus, type CensusInput } from './status/runCensus';
import type { CensusSummary } from './status/summary';
import { expiringBefore } from './storage/subscriptionQueries';
import { SubscriptionCatalogueTable } from './storage/subscriptionCatalogue';
import type { OperationsInput } from './operations/operationsInput';
import type { LifecycleInput } from './lifecycle/lifecycleInput';

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
  graph: GraphSubscriptions;
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
    return createTableClient(config.storage, table, credential, { allowInsecureConnection: tablesAllowInsecureConnection(config.storage) });
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
  const subscriptions = new SubscriptionTable(tableClient(config, config.subscriptionsTable, credential), undefined, index);
  const services: Services = {
    config,
    subscriptions,
    runs,
    shortRuns: new RunTable(runsClient, 'shortrun'),
    index,
    catalogue: new SubscriptionCatalogueTable(subscriptions, index),
    rules: new GraphRules(applyOverrides(config.graph.lifetimeOverrides)),
    learntMaxima: runs.learntMaxima(),
    graph: new GraphSubscriptions(
      createGraphClient(config.graph.baseUrl, () => tokens.get()),
      tokens,
      {
        timeoutMs: config.graph.timeoutMs,
        maxAttempts: config.graph.maxAttempts,
        baseDelayMs: config.graph.retryBaseMs,
        // One per process: the timer runs and the queue messages this instance handles share Graph's ceiling.
        writeRate: new WriteRateLimiter({ writesPerWindow: config.graph.writesPerWindow, windowMs: config.graph.writeWindowMs }),
        listRate: new WriteRateLimiter({ writesPerWindow: config.graph.listsPerWindow, windowMs: config.graph.writeWindowMs }),
      },
    ),
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
      (error: unknown) => log.warn(`Could not read the maxima Graph stated earlier; asking within the rules: ${redact((error as Error).message)}`),
    );
    learntReadAt = { services, at: now, reading };
  }
  await learntReadAt.reading;
  return services.rules;
}

/** When each timer runs next, as seen now. */
export function schedulesFor(config: Config, now = new Date()): Schedules {
  const { cron, timeZone, shortTimerDisabled } = config.schedule;
  return {
    daily: { nextRunAt: scheduleFrom(now, cron, timeZone).nextRunAt, marginHours: config.renewal.marginHours },
    short: { nextRunAt: scheduleFrom(now, SHORT_LIVED_SCHEDULE, timeZone).nextRunAt, enabled: !shortTimerDisabled },
  };
}

/** Everything a renewal run needs, from the services and the schedule; the timers and manual runs share it. */
export async function runInputFor(
  services: Services,
  log: Log,
  run: { trigger: RunTrigger; isPastDue: boolean; force?: boolean; subscriptionId?: string; scope: RunScope },
): Promise<RenewalRunInput> {
  const { config } = services;
  const now = new Date();
  const context = await renewalContextFor(services, log, true);
  const short = run.scope === 'short';
  return {
    ...context,
    // A short-lived row waits at most this long behind a run killed while holding it.
    ...(short ? { leaseMs: Math.min(context.leaseMs, SHORT_LIVED_LEASE_MS) } : {}),
    runs: short ? services.shortRuns : services.runs,
    concurrency: config.renewal.concurrency,
    mailboxConcurrency: config.renewal.mailboxConcurrency,
    handOff: services.renewalQueue,
    ...run,
    nextRunAt: short ? context.schedules.short.nextRunAt : context.schedules.daily.nextRunAt,
    // The short-lived run ends before the next one starts, ten minutes later.
    deadline: new Date(now.getTime() + (short ? Math.min(config.renewal.runBudgetMs, SHORT_LIVED_RUN_BUDGET_MS) : config.renewal.runBudgetMs)),
  };
}

/** What renewing or recreating one subscription needs; runs, queued renewals and lifecycle notifications share it. */
export async function renewalContextFor(services: Services, log: Log, fresh = false): Promise<RenewalContext> {
  const { config } = services;
  return {
    store: services.subscriptions,
    graph: services.graph,
    log,
    policy: config.renewal,
    rules: await currentRules(services, log, fresh),
    learntMaxima: services.learntMaxima,
    schedules: schedulesFor(config),
    now: () => new Date(),
    clientState: config.webhook.clientState,
    webhookProblem: config.webhookProblem,
    leaseMs: leaseMs(config.graph, MAX_RETRY_AFTER_MS),
  };
}

/** What a queued renewal needs: a renewal's context (each row is due against its own timer). */
export async function queuedRenewalInputFor(services: Services, log: Log): Promise<QueuedRenewalInput> {
  return renewalContextFor(services, log);
}

/** What a census needs; the timer and a status that finds none stored share it. */
export async function censusInputFor(services: Services, log: Log): Promise<CensusInput> {
  const { config } = services;
  return {
    subscriptions: services.subscriptions,
    index: services.index,
    handOff: services.renewalQueue,
    log,
    now: () => new Date(),
    // Which timer owns each row, and against which horizon it is due, follows the rules in force.
    settings: {
      schedules: schedulesFor(config),
      rules: await currentRules(services, log, true),
      marginHours: config.renewal.marginHours,
      lifetimeHours: config.renewal.lifetimeHours,
    },
  };
}

// One census at a time per process when none is stored: an anonymous health check cannot start more.
const inlineCensus = new WeakMap<Services, Promise<CensusSummary>>();

/** What the status, the health answer and the status page read, from the services. */
export async function statusInputFor(services: Services, log: Log, now: Date, hours?: number): Promise<StatusInput> {
  const { config } = services;
  return {
    index: services.index,
    store: services.subscriptions,
    expiringBefore: (at) => expiringBefore(services.subscriptions.client, at),
    runs: services.runs,
    shortRuns: services.shortRuns,
    rules: await currentRules(services, log),
    census: () => {
      let running = inlineCensus.get(services);
      if (!running) {
        running = censusInputFor(services, log)
          .then(runCensus)
          .finally(() => inlineCensus.delete(services));
        inlineCensus.set(services, running);
      }
      return running;
    },
    now,
    hours,
    settings: {
      functionName: RENEWAL_FUNCTION_NAME,
      cron: config.schedule.cron,
      timeZone: config.schedule.timeZone,
      timerDisabled: config.schedule.timerDisabled,
      shortTimerDisabled: config.schedule.shortTimerDisabled,
      marginHours: config.renewal.marginHours,
      lifetimeHours: config.renewal.lifetimeHours,
      maxRunAgeHours: config.status.maxRunAgeHours,
      abandonedRunHours: ABANDONED_RUN_HOURS,
      census: { functionName: CENSUS_FUNCTION_NAME, cron: CENSUS_SCHEDULE, disabled: config.schedule.censusDisabled },
      configurationProblems: config.webhookProblem ? [config.webhookProblem] : [],
    },
  };
}

/** What the manual operations take (the HTTP functions and the CLI): ports and plain values. */
export function operationsInputFor(config: Config, log: Log): OperationsInput {
  const services = servicesFor(config);
  const { webhook } = config;
  return {
    store: services.subscriptions,
    catalogue: services.catalogue,
    graph: services.graph,
    log,
    clientState: webhook.clientState,
    webhookProblem: config.webhookProblem,
    defaults: { notificationUrl: webhook.notificationUrl, lifecycleUrl: webhook.lifecycleUrl, userId: webhook.userId },
    shortTimerEnabled: !config.schedule.shortTimerDisabled,
    lifetimeHours: config.renewal.lifetimeHours,
    renewalContext: () => renewalContextFor(services, log),
    ensureRunHistory: () => services.runs.ensureExists(),
    runInput: ({ force, subscriptionId }) => runInputFor(services, log, { trigger: 'manual', isPastDue: false, force, subscriptionId, scope: 'any' }),
    takeCensus: async () => runCensus(await censusInputFor(services, log)),
  };
}

/** What acting on lifecycle notifications takes, once the subscription table is sure to exist. */
export async function lifecycleInputFor(config: Config, log: Log): Promise<LifecycleInput> {
  const services = servicesFor(config);
  await services.subscriptions.ensureExists();
  return {
    clientState: config.webhook.clientState,
    webhookProblem: config.webhookProblem,
    renewalContext: () => renewalContextFor(services, log),
  };
}

export { ABANDONED_RUN_HOURS };
