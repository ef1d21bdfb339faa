import { SHORT_LIVED_FUNCTION_NAME, SHORT_LIVED_SCHEDULE, type Schedules } from './cadence';
import { SubscriptionCensus } from './census';
import type { GraphRules } from './graphRules';
import type { RunHistory, SubscriptionStore } from './ports';
import type { RunRecord } from './runRecord';
import { describeOffset, nextRunAfter, toZonedIso, utcOffsetAt } from './schedule';

const HOUR_MS = 3_600_000;

/** host.json allows a run one hour (functionTimeout); twice that and it was surely stopped. */
export const ABANDONED_RUN_HOURS = 2;

export interface StatusSettings {
  functionName: string;
  cron: string;
  timeZone: string;
  timerDisabled: boolean;
  /** The short-lived timer (renewShortLivedSubscriptions) is disabled. */
  shortTimerDisabled: boolean;
  marginHours: number;
  lifetimeHours: number;
  /** No finished run for longer than this is a problem (one daily interval plus slack). */
  maxRunAgeHours: number;
  /** A run still "running" after this long was stopped by the host (longer than functionTimeout). */
  abandonedRunHours: number;
  /** Settings that are wrong without stopping the renewals (the webhook settings). */
  configurationProblems?: string[];
}

export interface StatusInput {
  store: SubscriptionStore;
  runs: RunHistory;
  /** The short-lived timer's runs. */
  shortRuns: RunHistory;
  /** Graph's lifetime rules in force, with what Graph taught: which timer owns each subscription. */
  rules: GraphRules;
  settings: StatusSettings;
  now: Date;
  /** List the subscriptions expiring within this many hours (the seed's troubleshooting query). */
  hours?: number;
}

export interface StatusReport {
  /** False when anything needs a person: the HTTP answer is then 503 so uptime monitors alert. */
  healthy: boolean;
  body: Record<string, unknown>;
}

// The short-lived timer runs every 10 minutes: three missed in a row is a stopped timer, not a slow one.
const SHORT_RUN_MAX_AGE_MS = 30 * 60_000;

/** Reads the tables and reports what the scheduler will do next and everything that is wrong. */
export async function readStatus(input: StatusInput): Promise<StatusReport> {
  const { settings, now } = input;
  const nextRunAt = nextRunAfter(now, settings.cron, settings.timeZone);
  const nextShortRunAt = nextRunAfter(now, SHORT_LIVED_SCHEDULE, settings.timeZone);
  const schedules: Schedules = {
    daily: { nextRunAt, marginHours: settings.marginHours },
    short: { nextRunAt: nextShortRunAt, enabled: !settings.shortTimerDisabled },
  };
  const census = new SubscriptionCensus(now, schedules, input.rules, settings, input.hours);
  for await (const page of input.store.pages()) census.add(page);
  const [lastRun, lastFinished, lastShortRun, lastShortFinished] = await Promise.all([
    input.runs.latest(),
    input.runs.latestFinished(),
    input.shortRuns.latest(),
    input.shortRuns.latestFinished(),
  ]);
  const counts = census.counts();

  const problems = [
    ...(settings.configurationProblems ?? []).map((problem) => `Configuration error: ${problem}`),
    ...schedulerProblems(settings, lastRun, lastFinished, now, nextRunAt),
    // The 10-minute timer matters once it has subscriptions to keep alive.
    ...(counts.short_lived > 0 && !settings.shortTimerDisabled ? shortTimerProblems(lastShortRun, lastShortFinished, now, settings) : []),
    ...census.problems(),
  ];
  const offset = utcOffsetAt(nextRunAt, settings.timeZone);
  const body: Record<string, unknown> = {
    success: problems.length === 0,
    scheduler: {
      is_running: !settings.timerDisabled,
      next_run_time: toZonedIso(nextRunAt, settings.timeZone),
      next_run_time_utc: nextRunAt.toISOString(),
      timezone: `${settings.timeZone} (${describeOffset(offset)})`,
      utc_offset: offset,
      schedule: settings.cron,
      function: settings.functionName,
    },
    timers: [
      describeTimer(settings.functionName, settings.cron, nextRunAt, !settings.timerDisabled, lastRun, lastFinished, settings.timeZone),
      describeTimer(SHORT_LIVED_FUNCTION_NAME, SHORT_LIVED_SCHEDULE, nextShortRunAt, !settings.shortTimerDisabled, lastShortRun, lastShortFinished, settings.timeZone),
    ],
    last_run: lastRun ? describeRun(lastRun) : null,
    last_finished_run_at: lastFinished?.finishedAt?.toISOString() ?? null,
    subscriptions: counts,
    graph_rules: describeRules(input.rules),
    ...(input.hours !== undefined ? { expiring_within: census.expiring() } : {}),
    problems,
    checked_at: now.toISOString(),
  };
  return { healthy: problems.length === 0, body };
}

function describeTimer(
  name: string,
  cron: string,
  nextRunAt: Date,
  enabled: boolean,
  lastRun: RunRecord | undefined,
  lastFinished: RunRecord | undefined,
  timeZone: string,
) {
  return {
    function: name,
    schedule: cron,
    is_running: enabled,
    timezone: `${timeZone} (${describeOffset(utcOffsetAt(nextRunAt, timeZone))})`,
    next_run_time: toZonedIso(nextRunAt, timeZone),
    next_run_time_utc: nextRunAt.toISOString(),
    last_run: lastRun ? describeRun(lastRun) : null,
    last_finished_run_at: lastFinished?.finishedAt?.toISOString() ?? null,
  };
}

/** The overrides in force and what Graph taught, so a person sees which maximum each kind is asked within. */
function describeRules(rules: GraphRules) {
  const learnt = (maximum: ReturnType<GraphRules['learntInForce']>[number]) => ({
    kind: maximum.key,
    max_minutes: maximum.maxMinutes,
    configured_minutes: maximum.configuredMinutes,
    learnt_at: maximum.learntAt.toISOString(),
    subscription_id: maximum.subscriptionId,
  });
  return {
    overrides: rules.rules
      .filter((rule) => rule.source === 'override')
      .map((rule) => ({ kind: rule.kind, max_minutes: rule.maxMinutes, ...(rule.richMaxMinutes !== undefined ? { rich_max_minutes: rule.richMaxMinutes } : {}) })),
    learnt: rules.learntInForce().map(learnt),
    // A rule changed since (GRAPH_MAX_LIFETIMES, a release): these no longer apply, and Graph teaches again if it must.
    learnt_set_aside: rules.learntSetAside().map(learnt),
  };
}

function shortTimerProblems(lastRun: RunRecord | undefined, lastFinished: RunRecord | undefined, now: Date, settings: StatusSettings): string[] {
  const problems: string[] = [];
  if (lastFinished?.outcome === 'failed') {
    problems.push(`The last ${SHORT_LIVED_FUNCTION_NAME} run (started ${lastFinished.startedAt.toISOString()}) failed: ${lastFinished.error ?? 'see its log'}`);
  }
  const finishedAt = lastFinished?.finishedAt;
  if (!finishedAt || now.getTime() - finishedAt.getTime() > SHORT_RUN_MAX_AGE_MS) {
    problems.push(
      `No ${SHORT_LIVED_FUNCTION_NAME} run has finished ${finishedAt ? `since ${finishedAt.toISOString()}` : 'yet'}: it renews the short-lived subscriptions every 10 minutes. ` +
        `Is the function app running? Run it by hand with POST /admin/functions/${SHORT_LIVED_FUNCTION_NAME}.`,
    );
  }
  if (lastRun?.outcome === 'running' && now.getTime() - lastRun.startedAt.getTime() > settings.abandonedRunHours * HOUR_MS) {
    problems.push(`The ${SHORT_LIVED_FUNCTION_NAME} run started at ${lastRun.startedAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`);
  }
  return problems;
}

function schedulerProblems(
  settings: StatusSettings,
  lastRun: RunRecord | undefined,
  lastFinished: RunRecord | undefined,
  now: Date,
  nextRunAt: Date,
): string[] {
  const problems: string[] = [];
  if (settings.timerDisabled) {
    problems.push(
      `The ${settings.functionName} timer is disabled (AzureWebJobs.${settings.functionName}.Disabled): nothing renews the subscriptions.`,
    );
  }
  // A run killed by the host (timeout, restart) never finishes: judge the newest finished run, and
  // name a run that has been "running" for longer than any run may.
  if (lastFinished && lastFinished.outcome === 'failed') {
    problems.push(`The last renewal run (started ${lastFinished.startedAt.toISOString()}) failed: ${lastFinished.error ?? 'see its log'}`);
  }
  if (lastRun && lastRun.outcome === 'running' && now.getTime() - lastRun.startedAt.getTime() > settings.abandonedRunHours * HOUR_MS) {
    problems.push(
      `The renewal run started at ${lastRun.startedAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`,
    );
  }
  const finishedAt = lastFinished?.finishedAt;
  if (!finishedAt) {
    problems.push(
      `No renewal run has finished yet: the next one is due at ${nextRunAt.toISOString()}; run ${settings.functionName} by hand (POST /admin/functions/${settings.functionName}) to check now.`,
    );
  } else if (now.getTime() - finishedAt.getTime() > settings.maxRunAgeHours * HOUR_MS) {
    problems.push(
      `No renewal run has finished for more than ${settings.maxRunAgeHours} h (last at ${finishedAt.toISOString()}): is the function app running?`,
    );
  }
  return problems;
}

function describeRun(run: RunRecord) {
  return {
    id: run.id,
    trigger: run.trigger,
    outcome: run.outcome,
    is_past_due: run.isPastDue,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    checked: run.checked ?? null,
    due: run.due ?? null,
    renewed: run.renewed ?? null,
    failed: run.failed ?? null,
    recreated: run.recreated ?? null,
    expired: run.expired ?? null,
    skipped: run.skipped ?? null,
    invalid: run.invalid ?? null,
    deferred: run.deferred ?? null,
    queued: run.queued ?? null,
    ...(run.error ? { error: run.error } : {}),
  };
}
