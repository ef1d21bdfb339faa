import { SubscriptionCensus } from './census';
import type { RunHistory, SubscriptionStore } from './ports';
import type { RunRecord } from './runRecord';
import { describeOffset, nextRunAfter, runIntervalMs, toZonedIso, utcOffsetAt } from './schedule';

const HOUR_MS = 3_600_000;

export interface StatusSettings {
  functionName: string;
  cron: string;
  timeZone: string;
  timerDisabled: boolean;
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

/** Reads the tables and reports what the scheduler will do next and everything that is wrong. */
export async function readStatus(input: StatusInput): Promise<StatusReport> {
  const { settings, now } = input;
  const nextRunAt = nextRunAfter(now, settings.cron, settings.timeZone);
  const intervalMs = runIntervalMs(settings.cron, settings.timeZone, now);
  const census = new SubscriptionCensus(now, nextRunAt, intervalMs, settings, input.hours);
  for await (const page of input.store.pages()) census.add(page);
  const [lastRun, lastFinished] = await Promise.all([input.runs.latest(), input.runs.latestFinished()]);

  const problems = [
    ...(settings.configurationProblems ?? []).map((problem) => `Configuration error: ${problem}`),
    ...schedulerProblems(settings, lastRun, lastFinished, now, nextRunAt),
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
    last_run: lastRun ? describeRun(lastRun) : null,
    last_finished_run_at: lastFinished?.finishedAt?.toISOString() ?? null,
    subscriptions: census.counts(),
    ...(input.hours !== undefined ? { expiring_within: census.expiring() } : {}),
    problems,
    checked_at: now.toISOString(),
  };
  return { healthy: problems.length === 0, body };
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
