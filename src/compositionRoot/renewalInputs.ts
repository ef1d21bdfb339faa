import type { Config } from '../config';
import { MAX_RETRY_AFTER_MS } from '../graph/retry';
import { leaseMs } from '../renewal/lease';
import {
  type RunScope,
  type Schedules,
  SHORT_LIVED_LEASE_MS,
  SHORT_LIVED_RUN_BUDGET_MS,
  SHORT_LIVED_SCHEDULE,
} from '../renewal/policy/cadence';
import { CENSUS_FUNCTION_NAME, CENSUS_SCHEDULE, RENEWAL_FUNCTION_NAME, scheduleFrom } from '../renewal/policy/schedule';
import type { Log } from '../renewal/ports';
import type { RenewalContext } from '../renewal/run/renewalContext';
import type { RenewalRunInput } from '../renewal/run/run';
import type { RunTrigger } from '../renewal/runRecord';
import { ABANDONED_RUN_HOURS, type StatusInput } from '../renewal/status/readStatus';
import { type CensusInput, runCensus } from '../renewal/status/runCensus';
import type { CensusSummary } from '../renewal/status/summary';
import { expiringBefore } from '../storage/subscriptionQueries';
import { currentRules, type Services } from './services';

// What the renewal runs, the queued renewals, the census and the status read, from the services.

/** When each timer runs next, as seen now. */
export function schedulesFor(config: Config, now = new Date()): Schedules {
  const { cron, timeZone, shortTimerDisabled } = config.schedule;
  return {
    daily: { nextRunAt: scheduleFrom(now, cron, timeZone).nextRunAt, marginHours: config.renewal.marginHours },
    short: { nextRunAt: scheduleFrom(now, SHORT_LIVED_SCHEDULE, timeZone).nextRunAt, enabled: !shortTimerDisabled },
  };
}

/** Everything a renewal run needs, from the services and the schedule; the timers and manual runs share it. */
export async function runInputOf(
  services: Services,
  log: Log,
  run: {
    trigger: RunTrigger;
    isPastDue: boolean;
    force?: boolean;
    subscriptionId?: string;
    onlyTenant?: { tenantId: string | undefined };
    scope: RunScope;
  },
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
    deadline: new Date(
      now.getTime() +
        (short ? Math.min(config.renewal.runBudgetMs, SHORT_LIVED_RUN_BUDGET_MS) : config.renewal.runBudgetMs),
    ),
  };
}

/** What renewing or recreating one subscription needs; runs, queued renewals and lifecycle notifications share it. */
export async function renewalContextFor(services: Services, log: Log, fresh = false): Promise<RenewalContext> {
  const { config } = services;
  return {
    store: services.subscriptions,
    graphs: services.graphs,
    homeTenant: services.homeTenant,
    log,
    policy: config.renewal,
    rules: await currentRules(services, log, fresh),
    learntMaxima: services.learntMaxima,
    schedules: schedulesFor(config),
    now: () => new Date(),
    clientState: config.webhook.clientState,
    webhookProblem: config.webhookProblem,
    leaseMs: leaseMs(config.graph, MAX_RETRY_AFTER_MS),
    tenantHealth: services.tenants,
  };
}

/** What a census needs; the timer and a status that finds none stored share it. */
export async function censusInputOf(services: Services, log: Log): Promise<CensusInput> {
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
export async function statusInputOf(services: Services, log: Log, now: Date, hours?: number): Promise<StatusInput> {
  const { config } = services;
  return {
    index: services.index,
    store: services.subscriptions,
    expiringBefore: (at) => expiringBefore(services.subscriptions.client, at),
    runs: services.runs,
    shortRuns: services.shortRuns,
    rules: await currentRules(services, log),
    // Read only where customer tenants can exist: a single-tenant status makes no extra request.
    ...(config.tenancy.multiTenantAppClientId ? { tenants: services.tenants } : {}),
    census: () => {
      let running = inlineCensus.get(services);
      if (!running) {
        running = censusInputOf(services, log)
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
      tenancy: {
        homeTenant: services.homeTenant,
        appClientId: config.tenancy.multiTenantAppClientId,
        authorityHost: config.tenancy.authorityHost,
      },
    },
  };
}
