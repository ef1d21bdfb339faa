import type { Attention } from './attention';
import { reportAttention, type Problem } from './problems';
import { SOONEST_KEPT, type CensusSummary } from './summary';
import { timelineFrom } from './timeline';
import { describeRun, schedulerProblems, timersOf } from './timers';
import { SHORT_LIVED_FUNCTION_NAME } from '../policy/cadence';
import type { GraphRules, LearntMaximum } from '../policy/graphRules';
import type { RunHistory, SubscriptionStore } from '../ports';
import type { RunRecord } from '../runRecord';
import { nextRunAfter, runIntervalMs } from '../policy/schedule';
import type { StoredSubscription } from '../subscription';

const HOUR_MS = 3_600_000;
const MAX_LISTED_EXPIRING = 1000;
const RECENT_RUNS = 10;
const PROBE_KEY = 'status-probe';
// The short-lived timer runs every 10 minutes: three missed in a row is a stopped timer, not a slow one.
const SHORT_RUN_MAX_AGE_MS = 30 * 60_000;

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
  /** The census timer: its name, schedule and disable switch (a summary older than two intervals is a problem). */
  census: { functionName: string; cron: string; disabled: boolean };
  /** Settings that are wrong without stopping the renewals (the webhook settings). */
  configurationProblems?: string[];
}

/** Where the status reads: a handful of requests whatever the number of rows. */
export interface StatusSources {
  index: {
    readSummary(): Promise<CensusSummary | undefined>;
    attention(max?: number): Promise<{ entries: Attention[]; more: boolean }>;
  };
  store: Pick<SubscriptionStore, 'read'>;
  /** Rows whose DateTime expiration is before `at` (a server-side filter: the cost follows the matches). */
  expiringBefore(at: Date): AsyncIterable<StoredSubscription[]>;
  runs: RunHistory;
  /** The short-lived timer's runs (their own partition of the run history). */
  shortRuns: RunHistory;
  /** Graph's lifetime rules in force, with what Graph taught (shown under graph_rules). */
  rules: GraphRules;
  /** Takes a census now and stores it: only when none is stored yet. */
  census(): Promise<CensusSummary>;
}

export interface StatusInput extends StatusSources {
  settings: StatusSettings;
  now: Date;
  /** List the subscriptions expiring within this many hours (the seed's troubleshooting query). */
  hours?: number;
}

export interface StatusReport {
  /** False when anything needs a person: the HTTP answer is then 503 so uptime monitors alert. */
  healthy: boolean;
  body: Record<string, unknown>;
  problems: Problem[];
}

/**
 * What the scheduler will do next and everything that is wrong, from sources whose cost does not grow
 * with the table: the stored census (counts, soonest expirations, timeline), the attention entries
 * (problems, written by whoever records one), the expirations the census saw coming that have passed
 * since (a point read each, normally none), and the newest runs.
 */
export async function readStatus(input: StatusInput): Promise<StatusReport> {
  const { settings, now } = input;
  const nextRunAt = nextRunAfter(now, settings.cron, settings.timeZone);
  const [stored, read, recent, recentShort] = await Promise.all([
    input.index.readSummary(),
    input.index.attention(),
    input.runs.recent(RECENT_RUNS),
    input.shortRuns.recent(RECENT_RUNS),
    // One point read: the subscriptions table is still there (a deleted one is named, and its census dropped).
    input.store.read(PROBE_KEY, PROBE_KEY),
  ]);
  // No census yet (a new deployment, a new index table): one is taken now, once, and its findings read.
  const summary = stored ?? (await input.census());
  const attention = stored ? read : await input.index.attention();
  const [pastExpiry, lastFinished, expiring] = await Promise.all([
    expiredSince(summary, input, now),
    recent.find((run) => run.outcome !== 'running') ?? (recent.length < RECENT_RUNS ? undefined : input.runs.latestFinished()),
    input.hours === undefined ? undefined : expiringWithin(input, now, input.hours),
  ]);
  const lastRun = recent[0];
  const lastShortRun = recentShort[0];
  const lastShortFinished = recentShort.find((run) => run.outcome !== 'running');
  const found = reportAttention(attention.entries, pastExpiry, now);
  const problems: Problem[] = [
    ...(settings.configurationProblems ?? []).map((problem) => ({
      kind: 'configuration' as const,
      text: `Configuration error: ${problem}`,
      what_to_do: 'Fix the setting in the function app\'s configuration (README, "Configuration").',
    })),
    ...schedulerProblems(settings, lastRun, lastFinished, now, nextRunAt),
    ...censusProblems(settings, summary, now),
    // The 10-minute timer matters once it has subscriptions to keep alive (disabled: at once, not at the next census).
    ...((summary.counts.short_lived ?? 0) > 0 ? shortTimerProblems(lastShortRun, lastShortFinished, now, settings, summary.counts.short_lived!) : []),
    ...found.problems,
    ...(attention.more
      ? [{ kind: 'census' as const, text: 'More subscriptions need attention than are listed here (the first 1,000 are).', what_to_do: 'npm run ops -- list --failing lists them all.' }]
      : []),
  ];
  const live = found.counts;
  // Past the first 1,000 entries, the census's counts are the better estimate.
  const atLeast = (n: number, census: number) => (attention.more ? Math.max(n, census) : n);
  const c = summary.counts;
  const soonest = summary.soonest.find((s) => s.expirationDateTime.getTime() > now.getTime());
  const timers = timersOf(settings, now, lastRun, lastShortRun, summary);
  const body: Record<string, unknown> = {
    success: problems.length === 0,
    scheduler: timers.scheduler,
    timers: timers.entries,
    last_run: lastRun ? describeRun(lastRun) : null,
    last_finished_run_at: lastFinished?.finishedAt?.toISOString() ?? null,
    subscriptions: {
      total: c.total,
      active: c.active,
      due_before_next_run: c.due_before_next_run,
      expired: atLeast(live.expired, c.expired),
      failing: atLeast(live.failing, c.failing),
      invalid: atLeast(live.invalid, c.invalid),
      cannot_be_kept_alive: atLeast(live.doomed, c.cannot_be_kept_alive),
      short_lived: c.short_lived ?? 0,
      recreated_last_24h: c.recreated_last_24h,
      missed_notifications_last_24h: atLeast(live.missed, c.missed_notifications_last_24h),
      soonest_expiration: soonest
        ? { id: soonest.id, resource: soonest.resource, expiration_date_time: soonest.expirationDateTime.toISOString() }
        : null,
    },
    graph_rules: describeRules(input.rules),
    ...(expiring ? { expiring_within: expiring } : {}),
    problems: problems.map((problem) => problem.text),
    problem_details: problems,
    attention: found.listed.map((entry) => describeAttention(entry)),
    timeline: timelineFrom(summary.histogram, now, nextRunAt, settings.marginHours),
    recent_runs: recent.map(describeRun),
    summary_computed_at: summary.startedAt.toISOString(),
    checked_at: now.toISOString(),
  };
  return { healthy: problems.length === 0, body, problems };
}

/**
 * Active subscriptions whose expiration has passed: those the census saw coming (its soonest, read
 * again one by one: renewed since, they are fine). Expirations only move forward, so whatever has
 * expired since the census was among them, unless there were more than it keeps: then the service
 * is asked (a filter, read only in that case).
 */
async function expiredSince(summary: CensusSummary, input: StatusSources, now: Date): Promise<Attention[]> {
  const past = summary.soonest.filter((s) => s.expirationDateTime.getTime() <= now.getTime());
  const found: StoredSubscription[] = [];
  if (past.length >= SOONEST_KEPT) {
    for await (const page of input.expiringBefore(now)) found.push(...page.filter((s) => s.state === 'active'));
  } else {
    const rows = await Promise.all(past.map((s) => input.store.read(s.partitionKey, s.id)));
    for (const row of rows) if (row?.ok && row.subscription.state === 'active' && row.subscription.expirationDateTime.getTime() <= now.getTime()) found.push(row.subscription);
  }
  return found.map((s) => ({
    kind: 'expired',
    partitionKey: s.partitionKey,
    rowKey: s.id,
    resource: s.resource,
    at: s.expirationDateTime,
    expirationDateTime: s.expirationDateTime,
    state: 'active',
    lastFailure: s.lastFailure,
    consecutiveFailures: s.consecutiveFailures,
  }));
}

/** The overrides in force and what Graph taught, so a person sees which maximum each kind is asked within. */
function describeRules(rules: GraphRules) {
  const learnt = (maximum: LearntMaximum) => ({
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

function shortTimerProblems(lastRun: RunRecord | undefined, lastFinished: RunRecord | undefined, now: Date, settings: StatusSettings, shortLived: number): Problem[] {
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
    add(`The last ${SHORT_LIVED_FUNCTION_NAME} run (started ${lastFinished.startedAt.toISOString()}) failed: ${lastFinished.error ?? 'see its log'}`, `Fix what the error names. ${byHand}`);
  }
  const finishedAt = lastFinished?.finishedAt;
  if (!finishedAt || now.getTime() - finishedAt.getTime() > SHORT_RUN_MAX_AGE_MS) {
    add(
      `No ${SHORT_LIVED_FUNCTION_NAME} run has finished ${finishedAt ? `since ${finishedAt.toISOString()}` : 'yet'}: it renews the short-lived subscriptions every 10 minutes. ` +
        `Is the function app running? Run it by hand with POST /admin/functions/${SHORT_LIVED_FUNCTION_NAME}.`,
      byHand,
    );
  }
  if (lastRun?.outcome === 'running' && now.getTime() - lastRun.startedAt.getTime() > settings.abandonedRunHours * HOUR_MS) {
    add(`The ${SHORT_LIVED_FUNCTION_NAME} run started at ${lastRun.startedAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`, byHand);
  }
  return problems;
}

function censusProblems(settings: StatusSettings, summary: CensusSummary, now: Date): Problem[] {
  const intervalMs = runIntervalMs(settings.census.cron, 'UTC', now);
  const age = now.getTime() - summary.startedAt.getTime();
  if (!settings.census.disabled && age <= 2 * intervalMs) return [];
  const why = settings.census.disabled ? ` It is disabled (AzureWebJobs.${settings.census.functionName}.Disabled).` : '';
  return [
    {
      kind: 'census',
      text: `The census timer is not running: the counts and timeline were last taken at ${summary.startedAt.toISOString()}, more than ${Math.round((2 * intervalMs) / 60_000)} minutes ago.${why}`,
      what_to_do: `Check that the function app is running and ${settings.census.functionName} is enabled; run it by hand with POST /admin/functions/${settings.census.functionName}.`,
    },
  ];
}

async function expiringWithin(input: StatusSources, now: Date, hours: number) {
  // Flat memory: the soonest MAX_LISTED_EXPIRING are kept, sorted now and then, the rest counted.
  let listed: StoredSubscription[] = [];
  let count = 0;
  const sort = () => listed.sort((a, b) => a.expirationDateTime.getTime() - b.expirationDateTime.getTime()).slice(0, MAX_LISTED_EXPIRING);
  for await (const page of input.expiringBefore(new Date(now.getTime() + hours * HOUR_MS + 1))) {
    count += page.length;
    listed.push(...page);
    if (listed.length > 2 * MAX_LISTED_EXPIRING) listed = sort();
  }
  listed = sort();
  return {
    hours,
    count,
    truncated: count > listed.length,
    subscriptions: listed.map((s) => ({
      id: s.id,
      resource: s.resource,
      state: s.state,
      expiration_date_time: s.expirationDateTime.toISOString(),
      hours_left: Math.round(((s.expirationDateTime.getTime() - now.getTime()) / HOUR_MS) * 10) / 10,
      consecutive_failures: s.consecutiveFailures,
    })),
  };
}

function describeAttention(a: Attention) {
  const f = a.lastFailure;
  return {
    kind: a.kind,
    id: a.rowKey,
    partition_key: a.partitionKey,
    resource: a.resource ?? null,
    since: a.at.toISOString(),
    expiration_date_time: a.expirationDateTime?.toISOString() ?? null,
    consecutive_failures: a.consecutiveFailures ?? 0,
    last_error: f ? `${f.at.toISOString()} status ${f.statusCode} ${f.code}: ${f.message}` : a.detail ?? null,
  };
}
