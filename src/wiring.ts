import type { Config } from './config';
import type { Log } from './renewal/ports';
import { leaseMs } from './renewal/policy';
import type { RenewalContext } from './renewal/renewSubscription';
import type { RenewalRunInput } from './renewal/run';
import type { RunTrigger } from './renewal/runRecord';
import { nextRunAfter, runIntervalMs } from './renewal/schedule';
import { createGraphClient } from './graph/client';
import { createCredential, describeIdentity, GraphTokens, identityAdvice } from './graph/credential';
import { MAX_RETRY_AFTER_MS } from './graph/retry';
import { GraphSubscriptions } from './graph/subscriptions';
import { RunTable } from './storage/runTable';
import { SubscriptionTable } from './storage/subscriptionTable';
import { createTableClient } from './storage/tableClient';

/** The app's clients, built once per process from the validated configuration. */
export interface Services {
  config: Config;
  subscriptions: SubscriptionTable;
  runs: RunTable;
  graph: GraphSubscriptions;
}

let built: { key: string; services: Services } | undefined;

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
  const services: Services = {
    config,
    subscriptions: new SubscriptionTable(createTableClient(config.storage, config.subscriptionsTable, credential)),
    runs: new RunTable(createTableClient(config.storage, config.runsTable, credential)),
    graph: new GraphSubscriptions(
      createGraphClient(config.graph.baseUrl, () => tokens.get()),
      tokens,
      { timeoutMs: config.graph.timeoutMs, maxAttempts: config.graph.maxAttempts, baseDelayMs: config.graph.retryBaseMs },
    ),
  };
  built = { key, services };
  return services;
}

// A timer can fire a moment early by the host's clock; looking past it keeps "next run" tomorrow's.
const EARLY_FIRE_TOLERANCE_MS = 60_000;

/** Everything a renewal run needs, from the services and the schedule; the timer and manual runs share it. */
export function runInputFor(
  services: Services,
  log: Log,
  run: { trigger: RunTrigger; isPastDue: boolean; force?: boolean; subscriptionId?: string },
): RenewalRunInput {
  const { config } = services;
  const now = new Date();
  const { cron, timeZone } = config.schedule;
  const lookFrom = new Date(now.getTime() + EARLY_FIRE_TOLERANCE_MS);
  return {
    ...renewalContextFor(services, log),
    runs: services.runs,
    concurrency: config.renewal.concurrency,
    ...run,
    nextRunAt: nextRunAfter(lookFrom, cron, timeZone),
    deadline: new Date(now.getTime() + config.renewal.runBudgetMs),
  };
}

/** What renewing or recreating one subscription needs; runs and lifecycle notifications share it. */
export function renewalContextFor(services: Services, log: Log): RenewalContext {
  const { config } = services;
  const lookFrom = new Date(Date.now() + EARLY_FIRE_TOLERANCE_MS);
  return {
    store: services.subscriptions,
    graph: services.graph,
    log,
    policy: config.renewal,
    intervalMs: runIntervalMs(config.schedule.cron, config.schedule.timeZone, lookFrom),
    now: () => new Date(),
    clientState: config.webhook.clientState,
    webhookProblem: config.webhookProblem,
    leaseMs: leaseMs(config.graph, MAX_RETRY_AFTER_MS),
  };
}
