import { SHORT_LIVED_FUNCTION_NAME, SHORT_LIVED_SCHEDULE } from '../policy/cadence';
import { describeOffset, nextRunAfter, runIntervalMs, toZonedIso, utcOffsetAt } from '../policy/schedule';
import type { RunRecord } from '../runRecord';
import type { Problem } from './problems';
import type { StatusSettings } from './statusSettings';
import type { CensusSummary } from './summary';

const HOUR_MS = 3_600_000;
// The short-lived timer runs every 10 minutes: three missed in a row is a stopped timer, not a slow one.
const SHORT_RUN_MAX_AGE_MS = 30 * 60_000;

/** One timer as the status shows it: when it next fires, in the app's zone and in UTC, and its last run. */
export interface TimerView {
  function: string;
  schedule: string;
  timezone: string;
  next_run_time: string;
  next_run_time_utc: string;
  is_running: boolean;
  last_run: Record<string, unknown> | null;
}

/**
 * The seed's `scheduler` block (the daily renewal), and every timer as a list: the daily renewal, the
 * 10-minute one for short-lived subscriptions, and the census. The page renders the list, whatever its length.
 */
export function timersOf(
  settings: StatusSettings,
  now: Date,
  lastRun: RunRecord | undefined,
  lastShortRun: RunRecord | undefined,
  summary: CensusSummary,
) {
  const view = (
    functionName: string,
    cron: string,
    disabled: boolean,
    last: Record<string, unknown> | null,
  ): TimerView => {
    const next = nextRunAfter(now, cron, settings.timeZone);
    return {
      function: functionName,
      schedule: cron,
      timezone: `${settings.timeZone} (${describeOffset(utcOffsetAt(next, settings.timeZone))})`,
      next_run_time: toZonedIso(next, settings.timeZone),
      next_run_time_utc: next.toISOString(),
      is_running: !disabled,
      last_run: last,
    };
  };
  const renewal = view(
    settings.functionName,
    settings.cron,
    settings.timerDisabled,
    lastRun ? describeRun(lastRun) : null,
  );
  const short = view(
    SHORT_LIVED_FUNCTION_NAME,
    SHORT_LIVED_SCHEDULE,
    settings.shortTimerDisabled,
    lastShortRun ? describeRun(lastShortRun) : null,
  );
  const census = view(settings.census.functionName, settings.census.cron, settings.census.disabled, {
    started_at: summary.startedAt.toISOString(),
    finished_at: summary.finishedAt.toISOString(),
    outcome: 'succeeded',
    checked: summary.counts.total,
  });
  const offset = utcOffsetAt(new Date(renewal.next_run_time_utc), settings.timeZone);
  return {
    scheduler: {
      is_running: renewal.is_running,
      next_run_time: renewal.next_run_time,
      next_run_time_utc: renewal.next_run_time_utc,
      timezone: renewal.timezone,
      utc_offset: offset,
      schedule: settings.cron,
      function: settings.functionName,
    },
    entries: [renewal, short, census],
  };
}

export function schedulerProblems(
  settings: StatusSettings,
  lastRun: RunRecord | undefined,
  lastFinished: RunRecord | undefined,
  now: Date,
  nextRunAt: Date,
): Problem[] {
  const problems: Problem[] = [];
  const add = (text: string, what_to_do: string) => problems.push({ kind: 'scheduler', text, what_to_do });
  const runByHand = `Run it by hand: POST /admin/functions/${settings.functionName} with the master key (README, "Calling the status endpoint").`;
  if (settings.timerDisabled) {
    add(
      `The ${settings.functionName} timer is disabled (AzureWebJobs.${settings.functionName}.Disabled): nothing renews the subscriptions.`,
      `Enable it: set AzureWebJobs.${settings.functionName}.Disabled to false (portal: the function's Enable button).`,
    );
  }
  // A run killed by the host (timeout, restart) never finishes: judge the newest finished run, and
  // name a run that has been "running" for longer than any run may.
  if (lastFinished && lastFinished.outcome === 'failed') {
    add(
      `The last renewal run (started ${lastFinished.startedAt.toISOString()}) failed: ${lastFinished.error ?? 'see its log'}`,
      `Fix what the error names, then ${runByHand.charAt(0).toLowerCase()}${runByHand.slice(1)}`,
    );
  }
  if (
    lastRun &&
    lastRun.outcome === 'running' &&
    now.getTime() - lastRun.startedAt.getTime() > settings.abandonedRunHours * HOUR_MS
  ) {
    add(
      `The renewal run started at ${lastRun.startedAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`,
      `Its rows are free again once their leases end (20 minutes); the next run renews them, or ${runByHand.charAt(0).toLowerCase()}${runByHand.slice(1)}`,
    );
  }
  const finishedAt = lastFinished?.finishedAt;
  if (!finishedAt) {
    add(
      `No renewal run has finished yet: the next one is due at ${nextRunAt.toISOString()}; run ${settings.functionName} by hand (POST /admin/functions/${settings.functionName}) to check now.`,
      runByHand,
    );
  } else if (now.getTime() - finishedAt.getTime() > settings.maxRunAgeHours * HOUR_MS) {
    add(
      `No renewal run has finished for more than ${settings.maxRunAgeHours} h (last at ${finishedAt.toISOString()}): is the function app running?`,
      `Check that the function app is running (Always On) and the timer enabled; then ${runByHand.charAt(0).toLowerCase()}${runByHand.slice(1)}`,
    );
  }
  return problems;
}

export function describeRun(run: RunRecord) {
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

/** What is wrong with the 10-minute timer, once it has subscriptions to keep alive. */
export function shortTimerProblems(
  lastRun: RunRecord | undefined,
  lastFinished: RunRecord | undefined,
  now: Date,
  settings: StatusSettings,
  shortLived: number,
): Problem[] {
  const problems: Problem[] = [];
  const add = (text: string, what_to_do: string) => problems.push({ kind: 'scheduler', text, what_to_do });
  if (settings.shortTimerDisabled) {
    add(
      `The ${SHORT_LIVED_FUNCTION_NAME} timer is disabled (AzureWebJobs.${SHORT_LIVED_FUNCTION_NAME}.Disabled), and ${shortLived} subscription(s) only it can keep alive (presence, Teams Shifts, resource data) expire between two daily checks.`,
      `Enable it: set AzureWebJobs.${SHORT_LIVED_FUNCTION_NAME}.Disabled to false (portal: the function's Enable button).`,
    );
    return problems;
  }
  const byHand = `Check that the function app is running, then run it by hand: POST /admin/functions/${SHORT_LIVED_FUNCTION_NAME} with the master key.`;
  if (lastFinished?.outcome === 'failed') {
    add(
      `The last ${SHORT_LIVED_FUNCTION_NAME} run (started ${lastFinished.startedAt.toISOString()}) failed: ${lastFinished.error ?? 'see its log'}`,
      `Fix what the error names. ${byHand}`,
    );
  }
  const finishedAt = lastFinished?.finishedAt;
  if (!finishedAt || now.getTime() - finishedAt.getTime() > SHORT_RUN_MAX_AGE_MS) {
    add(
      `No ${SHORT_LIVED_FUNCTION_NAME} run has finished ${finishedAt ? `since ${finishedAt.toISOString()}` : 'yet'}: it renews the short-lived subscriptions every 10 minutes. ` +
        `Is the function app running? Run it by hand with POST /admin/functions/${SHORT_LIVED_FUNCTION_NAME}.`,
      byHand,
    );
  }
  if (
    lastRun?.outcome === 'running' &&
    now.getTime() - lastRun.startedAt.getTime() > settings.abandonedRunHours * HOUR_MS
  ) {
    add(
      `The ${SHORT_LIVED_FUNCTION_NAME} run started at ${lastRun.startedAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`,
      byHand,
    );
  }
  return problems;
}

/** The census timer has not run for two intervals, or is disabled: the counts and timeline are stale. */
export function censusProblems(settings: StatusSettings, summary: CensusSummary, now: Date): Problem[] {
  const intervalMs = runIntervalMs(settings.census.cron, 'UTC', now);
  const age = now.getTime() - summary.startedAt.getTime();
  if (!settings.census.disabled && age <= 2 * intervalMs) return [];
  const why = settings.census.disabled
    ? ` It is disabled (AzureWebJobs.${settings.census.functionName}.Disabled).`
    : '';
  return [
    {
      kind: 'census',
      text: `The census timer is not running: the counts and timeline were last taken at ${summary.startedAt.toISOString()}, more than ${Math.round((2 * intervalMs) / 60_000)} minutes ago.${why}`,
      what_to_do: `Check that the function app is running and ${settings.census.functionName} is enabled; run it by hand with POST /admin/functions/${settings.census.functionName}.`,
    },
  ];
}
