import type { Config } from './config';
import { createGraphClient } from './graph/client';
import { createCredential, describeIdentity, GraphTokens, identityAdvice } from './graph/credential';
import { GraphSubscriptions } from './graph/subscriptions';
import { WriteRateLimiter } from './graph/writeRate';
import { createRenewalQueue, type RenewalQueue } from './storage/renewalQueue';
import { RunTable } from './storage/runTable';
import { SubscriptionTable } from './storage/subscriptionTable';
import { createTableClient } from './storage/tableClient';

/** The app's clients, built once per process from the validated configuration. */
export interface Services {
  config: Config;
  subscriptions: SubscriptionTable;
  runs: RunTable;
  graph: GraphSubscriptions;
  /** Where a run hands what it has no time for; undefined when the host's storage is not configured. */
  renewalQueue: RenewalQueue | undefined;
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
