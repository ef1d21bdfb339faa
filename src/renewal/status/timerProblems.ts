// What the status says is wrong with each timer: the daily renewal, the 10-minute one and the census.
import { SHORT_LIVED_FUNCTION_NAME } from '../policy/cadence';
import { runIntervalMs } from '../policy/schedule';
import type { RunRecord } from '../runRecord';
import type { Problem } from './problems';
import type { StatusSettings } from './statusSettings';
import type { CensusSummary } from './summary';

const HOUR_MS = 3_600_000;
// The short-lived timer runs every 10 minutes: three missed in a row is a stopped timer, not a slow one.
const SHORT_RUN_MAX_AGE_MS = 30 * 60_000;

/** What is wrong with the daily renewal timer: disabled, its last run failed or abandoned, no run for too long. */
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
