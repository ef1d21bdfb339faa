import { SHORT_LIVED_FUNCTION_NAME, SHORT_LIVED_SCHEDULE } from '../policy/cadence';
import { describeOffset, nextRunAfter, toZonedIso, utcOffsetAt } from '../policy/schedule';
import type { RunRecord } from '../runRecord';
import type { StatusSettings } from './statusSettings';
import type { CensusSummary } from './summary';

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
