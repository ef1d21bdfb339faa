/**
 * The composition root: from the validated configuration, the ports and plain values each use-case
 * takes. Only the entry points (src/functions/*, src/cli.ts) import it, and the function files only
 * lazily: the SDKs behind it stay off the host's start-up path (scripts/bundle.mjs).
 */
import { censusInputOf, renewalContextFor, runInputOf, statusInputOf } from './compositionRoot/renewalInputs';
import { servicesFor } from './compositionRoot/services';
import type { Config } from './config';
import type { LifecycleInput } from './lifecycle/lifecycleInput';
import type { OperationsInput } from './operations/operationsInput';
import type { RunScope } from './renewal/policy/cadence';
import type { Log } from './renewal/ports';
import type { RenewalContext } from './renewal/run/renewalContext';
import type { RenewalRunInput } from './renewal/run/run';
import type { StatusInput } from './renewal/status/readStatus';
import { type CensusInput, runCensus } from './renewal/status/runCensus';

/** What a timer's renewal run needs, its tables created when missing (the daily and the short-lived timer). */
export async function timerRunInputFor(
  config: Config,
  log: Log,
  run: { isPastDue: boolean; scope: Exclude<RunScope, 'any'> },
): Promise<RenewalRunInput> {
  const services = servicesFor(config);
  const runs = run.scope === 'short' ? services.shortRuns : services.runs;
  await Promise.all([services.subscriptions.ensureExists(), runs.ensureExists()]);
  return runInputOf(services, log, { trigger: 'timer', ...run });
}

/** What a queued renewal (and the poison queue's record of one) needs: a renewal's context (each row is due against its own timer). */
export async function queuedRenewalInputFor(config: Config, log: Log): Promise<RenewalContext> {
  return renewalContextFor(servicesFor(config), log);
}

/** What a census needs, the subscription table created when missing. */
export async function censusInputFor(config: Config, log: Log): Promise<CensusInput> {
  const services = servicesFor(config);
  await services.subscriptions.ensureExists();
  return censusInputOf(services, log);
}

/**
 * Where the status, the health answer and the status page read from. Building it is what a bad
 * setting fails (a ConfigError, at once); reading it is what the tables fail (the tables are created
 * when missing, then `now`, by default the time they are sure to exist, is taken).
 */
export function statusSourceFor(config: Config): (log: Log, hours?: number, now?: Date) => Promise<StatusInput> {
  const services = servicesFor(config);
  return async (log, hours, now) => {
    await Promise.all([services.subscriptions.ensureExists(), services.runs.ensureExists()]);
    return statusInputOf(services, log, now ?? new Date(), hours);
  };
}

/** What the manual operations take (the HTTP functions and the CLI): ports and plain values. */
export function operationsInputFor(config: Config, log: Log): OperationsInput {
  const services = servicesFor(config);
  const { webhook } = config;
  return {
    store: services.subscriptions,
    catalogue: services.catalogue,
    graphs: services.graphs,
    homeTenant: services.homeTenant,
    tenants: services.tenants,
    tenancy: { appClientId: config.tenancy.multiTenantAppClientId, authorityHost: config.tenancy.authorityHost },
    log,
    clientState: webhook.clientState,
    webhookProblem: config.webhookProblem,
    defaults: { notificationUrl: webhook.notificationUrl, lifecycleUrl: webhook.lifecycleUrl, userId: webhook.userId },
    shortTimerEnabled: !config.schedule.shortTimerDisabled,
    lifetimeHours: config.renewal.lifetimeHours,
    renewalContext: () => renewalContextFor(services, log),
    ensureRunHistory: () => services.runs.ensureExists(),
    runInput: ({ force, subscriptionId, onlyTenant }) =>
      runInputOf(services, log, {
        trigger: 'manual',
        isPastDue: false,
        force,
        subscriptionId,
        ...(onlyTenant ? { onlyTenant } : {}),
        scope: 'any',
      }),
    takeCensus: async () => runCensus(await censusInputOf(services, log)),
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
