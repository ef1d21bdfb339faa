import type { RunHistory, SubscriptionStore } from './ports';
import { isDue, keepAliveProblem } from './policy';
import type { RunRecord } from './runRecord';
import { describeOffset, nextRunAfter, toZonedIso, utcOffsetAt } from './schedule';
import type { StoredRow, StoredSubscription } from './subscription';

const HOUR_MS = 3_600_000;
// A status body stays readable (and small) however many rows are broken: name the first few.
const MAX_NAMED_PER_PROBLEM = 20;
const MAX_LISTED_EXPIRING = 1000;

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
  const intervalMs = nextRunAfter(nextRunAt, settings.cron, settings.timeZone).getTime() - nextRunAt.getTime();
  const census = new SubscriptionCensus(now, nextRunAt, intervalMs, settings, input.hours);
  for await (const page of input.store.pages()) census.add(page);
  const [lastRun, lastFinished] = await Promise.all([input.runs.latest(), input.runs.latestFinished()]);

  const problems = [...schedulerProblems(settings, lastRun, lastFinished, now, nextRunAt), ...census.problems()];
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
    expired: run.expired ?? null,
    invalid: run.invalid ?? null,
    deferred: run.deferred ?? null,
    ...(run.error ? { error: run.error } : {}),
  };
}

/** Counts and names, page by page, what the status reports about the stored subscriptions. */
class SubscriptionCensus {
  private total = 0;
  private active = 0;
  private dueBeforeNextRun = 0;
  private soonest: StoredSubscription | undefined;
  private readonly expired: string[] = [];
  private readonly failing: string[] = [];
  private readonly invalid: string[] = [];
  private readonly doomed: string[] = [];
  private readonly expiringSoon: StoredSubscription[] = [];
  private expiringCount = 0;

  constructor(
    private readonly now: Date,
    private readonly nextRunAt: Date,
    private readonly intervalMs: number,
    private readonly settings: StatusSettings,
    private readonly hours: number | undefined,
  ) {}

  add(rows: StoredRow[]): void {
    for (const row of rows) {
      this.total++;
      if (!row.ok) {
        this.invalid.push(`Row ${row.partitionKey}/${row.rowKey} of the subscriptions table is malformed: ${row.problem}`);
        continue;
      }
      this.addSubscription(row.subscription);
    }
  }

  private addSubscription(subscription: StoredSubscription): void {
    const label = `Subscription ${subscription.id} (${subscription.resource})`;
    const expiresAt = subscription.expirationDateTime;
    if (this.hours !== undefined && expiresAt.getTime() <= this.now.getTime() + this.hours * HOUR_MS) {
      this.expiringCount++;
      if (this.expiringSoon.length < MAX_LISTED_EXPIRING) this.expiringSoon.push(subscription);
    }
    if (subscription.state === 'expired' || expiresAt.getTime() <= this.now.getTime()) {
      this.expired.push(
        `${label} expired${subscription.state === 'expired' ? ' (Graph no longer has it)' : ''} at ${expiresAt.toISOString()}: it can no longer be renewed and must be recreated.`,
      );
      return;
    }
    this.active++;
    if (!this.soonest || expiresAt.getTime() < this.soonest.expirationDateTime.getTime()) this.soonest = subscription;
    if (isDue(expiresAt, this.nextRunAt, this.settings.marginHours)) this.dueBeforeNextRun++;
    if (subscription.consecutiveFailures > 0) {
      const last = subscription.lastFailure;
      const detail = last ? `: last status ${last.statusCode} ${last.code} at ${last.at.toISOString()}` : '';
      this.failing.push(
        `${label} failed its last ${subscription.consecutiveFailures} renewal attempt(s)${detail}; it expires at ${expiresAt.toISOString()}.`,
      );
    }
    const problem = keepAliveProblem(subscription.resource, this.intervalMs, this.settings.lifetimeHours);
    if (problem) this.doomed.push(`${label}: ${problem}`);
  }

  counts() {
    return {
      total: this.total,
      active: this.active,
      due_before_next_run: this.dueBeforeNextRun,
      expired: this.expired.length,
      failing: this.failing.length,
      invalid: this.invalid.length,
      cannot_be_kept_alive: this.doomed.length,
      soonest_expiration: this.soonest
        ? {
            id: this.soonest.id,
            resource: this.soonest.resource,
            expiration_date_time: this.soonest.expirationDateTime.toISOString(),
          }
        : null,
    };
  }

  expiring() {
    const listed = [...this.expiringSoon].sort((a, b) => a.expirationDateTime.getTime() - b.expirationDateTime.getTime());
    return {
      hours: this.hours,
      count: this.expiringCount,
      truncated: this.expiringCount > listed.length,
      subscriptions: listed.map((subscription) => ({
        id: subscription.id,
        resource: subscription.resource,
        state: subscription.state,
        expiration_date_time: subscription.expirationDateTime.toISOString(),
        hours_left: Math.round(((subscription.expirationDateTime.getTime() - this.now.getTime()) / HOUR_MS) * 10) / 10,
        consecutive_failures: subscription.consecutiveFailures,
      })),
    };
  }

  problems(): string[] {
    return [this.expired, this.failing, this.invalid, this.doomed].flatMap(named);
  }
}

function named(messages: string[]): string[] {
  if (messages.length <= MAX_NAMED_PER_PROBLEM) return messages;
  return [...messages.slice(0, MAX_NAMED_PER_PROBLEM), `... and ${messages.length - MAX_NAMED_PER_PROBLEM} more like these.`];
}
