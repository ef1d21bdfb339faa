import { ConfigError, type Config } from './config';
import type { Log } from './renewal/ports';
import { leaseMs } from './renewal/policy';
import type { RenewalContext } from './renewal/renewSubscription';
import type { RenewalRunInput } from './renewal/run';
import type { RunTrigger } from './renewal/runRecord';
import type { QueuedRenewalInput } from './renewal/renewQueued';
import { scheduleFrom } from './renewal/schedule';
import { createGraphClient } from './graph/client';
import { createCredential, describeIdentity, GraphTokens, identityAdvice } from './graph/credential';
import { MAX_RETRY_AFTER_MS } from './graph/retry';
import { GraphSubscriptions } from './graph/subscriptions';
import { WriteRateLimiter } from './graph/writeRate';
import { createRenewalQueue, type RenewalQueue } from './storage/renewalQueue';
import { RunTable } from './storage/runTable';
import { SubscriptionIndex } from './storage/subscriptionIndex';
import { SubscriptionTable } from './storage/subscriptionTable';
import { createTableClient } from './storage/tableClient';
import type { TokenCredential } from '@azure/identity';
import type { StatusInput } from './renewal/status';
import { CENSUS_FUNCTION_NAME, CENSUS_SCHEDULE, RENEWAL_FUNCTION_NAME } from './renewal/schedule';
import { runCensus, type CensusInput } from './status/runCensus';
import type { CensusSummary } from './status/summary';
import { expiringBefore } from './storage/subscriptionQueries';

/** The app's clients, built once per process from the validated configuration. */
export interface Services {
  config: Config;
  subscriptions: SubscriptionTable;
  runs: RunTable;
  /** Lookups by id, the problems, and the stored census (SUBSCRIPTION_INDEX_TABLE). */
  index: SubscriptionIndex;
  graph: GraphSubscriptions;
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
    return createTableClient(config.storage, table, credential);
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
  const index = new SubscriptionIndex(tableClient(config, config.indexTable, credential));
  const services: Services = {
    config,
    subscriptions: new SubscriptionTable(tableClient(config, config.subscriptionsTable, credential), undefined, index),
    runs: new RunTable(tableClient(config, config.runsTable, credential)),
    index,
    graph: new GraphSubscriptions(
      createGraphClient(config.graph.baseUrl, () => tokens.get()),
      tokens,
      {
        timeoutMs: config.graph.timeoutMs,
        maxAttempts: config.graph.maxAttempts,
        baseDelayMs: config.graph.retryBaseMs,
        // One per process: the timer run and the queue messages this instance handles share Graph's ceiling.
        writeRate: new WriteRateLimiter({ writesPerWindow: config.graph.writesPerWindow, windowMs: config.graph.writeWindowMs }),
      },
    ),
    renewalQueue: config.queue ? createRenewalQueue(config.queue, credential) : undefined,
  };
  built = { key, services };
  return services;
}

/** Everything a renewal run needs, from the services and the schedule; the timer and manual runs share it. */
export function runInputFor(
  services: Services,
  log: Log,
  run: { trigger: RunTrigger; isPastDue: boolean; force?: boolean; subscriptionId?: string },
): RenewalRunInput {
  const { config } = services;
  const now = new Date();
  return {
    ...renewalContextFor(services, log),
    runs: services.runs,
    concurrency: config.renewal.concurrency,
    mailboxConcurrency: config.renewal.mailboxConcurrency,
    handOff: services.renewalQueue,
    ...run,
    nextRunAt: scheduleFrom(now, config.schedule.cron, config.schedule.timeZone).nextRunAt,
    deadline: new Date(now.getTime() + config.renewal.runBudgetMs),
  };
}

/** What renewing or recreating one subscription needs; runs, queued renewals and lifecycle notifications share it. */
export function renewalContextFor(services: Services, log: Log): RenewalContext {
  const { config } = services;
  return {
    store: services.subscriptions,
    graph: services.graph,
    log,
    policy: config.renewal,
    intervalMs: scheduleFrom(new Date(), config.schedule.cron, config.schedule.timeZone).intervalMs,
    now: () => new Date(),
    clientState: config.webhook.clientState,
    webhookProblem: config.webhookProblem,
    leaseMs: leaseMs(config.graph, MAX_RETRY_AFTER_MS),
  };
}

/** What a queued renewal needs: a renewal's context and the next run as seen now. */
export function queuedRenewalInputFor(services: Services, log: Log): QueuedRenewalInput {
  const { cron, timeZone } = services.config.schedule;
  return { ...renewalContextFor(services, log), nextRunAt: scheduleFrom(new Date(), cron, timeZone).nextRunAt };
}

/** What a census needs; the timer and a status that finds none stored share it. */
export function censusInputFor(services: Services, log: Log): CensusInput {
  const { config } = services;
  const { nextRunAt, intervalMs } = scheduleFrom(new Date(), config.schedule.cron, config.schedule.timeZone);
  return {
    subscriptions: services.subscriptions,
    index: services.index,
    handOff: services.renewalQueue,
    log,
    now: () => new Date(),
    settings: { nextRunAt, intervalMs, marginHours: config.renewal.marginHours, lifetimeHours: config.renewal.lifetimeHours },
  };
}

// One census at a time per process when none is stored: an anonymous health check cannot start more.
const inlineCensus = new WeakMap<Services, Promise<CensusSummary>>();

/** host.json allows a run one hour (functionTimeout); twice that and it was surely stopped. */
export const ABANDONED_RUN_HOURS = 2;

/** What the status, the health answer and the status page read, from the services. */
export function statusInputFor(services: Services, log: Log, now: Date, hours?: number): StatusInput {
  const { config } = services;
  return {
    index: services.index,
    store: services.subscriptions,
    expiringBefore: (at) => expiringBefore(services.subscriptions.client, at),
    runs: services.runs,
    census: () => {
      let running = inlineCensus.get(services);
      if (!running) {
        running = runCensus(censusInputFor(services, log)).finally(() => inlineCensus.delete(services));
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
      marginHours: config.renewal.marginHours,
      lifetimeHours: config.renewal.lifetimeHours,
      maxRunAgeHours: config.status.maxRunAgeHours,
      abandonedRunHours: ABANDONED_RUN_HOURS,
      census: { functionName: CENSUS_FUNCTION_NAME, cron: CENSUS_SCHEDULE, disabled: config.schedule.censusDisabled },
      configurationProblems: config.webhookProblem ? [config.webhookProblem] : [],
    },
  };
}
