import type { GraphRules, LearntMaximum } from '../policy/graphRules';
import { nextRunAfter } from '../policy/schedule';
import type { RunHistory } from '../ports';
import { failureText } from '../subscription';
import type { TenantRecord } from '../tenant';
import { type Attention, CANNOT_BE_KEPT_ALIVE, MALFORMED_ROW } from './attentionKinds';
import { type ExpirationSources, expiredSince, expiringWithin } from './expirations';
import { type Problem, reportAttention } from './problems';
import type { StatusSettings } from './statusSettings';
import type { CensusSummary } from './summary';
import { tenantsReport } from './tenants';
import { timelineFrom } from './timeline';
import { censusProblems, schedulerProblems, shortTimerProblems } from './timerProblems';
import { describeRun, timersOf } from './timers';

const RECENT_RUNS = 10;
const PROBE_KEY = 'status-probe';

/** host.json allows a run one hour (functionTimeout); twice that and it was surely stopped. */
export const ABANDONED_RUN_HOURS = 2;

/** Where the status reads: a handful of requests whatever the number of rows. */
export interface StatusSources extends ExpirationSources {
  index: {
    readSummary(): Promise<CensusSummary | undefined>;
    attention(max?: number): Promise<{ entries: Attention[]; more: boolean }>;
  };
  runs: RunHistory;
  /** The short-lived timer's runs (their own partition of the run history). */
  shortRuns: RunHistory;
  /** Graph's lifetime rules in force, with what Graph taught (shown under graph_rules). */
  rules: GraphRules;
  /** Takes a census now and stores it: only when none is stored yet. */
  census(): Promise<CensusSummary>;
  /** The customer tenants added, with their health; none in a single-tenant deployment (no table read). */
  tenants?: { list(): Promise<TenantRecord[]> };
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
  const [stored, read, recent, recentShort, tenantRecords] = await Promise.all([
    input.index.readSummary(),
    input.index.attention(),
    input.runs.recent(RECENT_RUNS),
    input.shortRuns.recent(RECENT_RUNS),
    input.tenants?.list() ?? Promise.resolve([]),
    // One point read: the subscriptions table is still there (a deleted one is named, and its census dropped).
    input.store.read(PROBE_KEY, PROBE_KEY),
  ]);
  // No census yet (a new deployment, a new index table): one is taken now, once, and its findings read.
  const summary = stored ?? (await input.census());
  const attention = stored ? read : await input.index.attention();
  const [pastExpiry, lastFinished, expiring] = await Promise.all([
    expiredSince(summary, input, now),
    recent.find((run) => run.outcome !== 'running') ??
      (recent.length < RECENT_RUNS ? undefined : input.runs.latestFinished()),
    input.hours === undefined ? undefined : expiringWithin(input, now, input.hours),
  ]);
  const lastRun = recent[0];
  const lastShortRun = recentShort[0];
  const lastShortFinished = recentShort.find((run) => run.outcome !== 'running');
  const found = reportAttention(attention.entries, pastExpiry, now);
  const perTenant = settings.tenancy
    ? tenantsReport(summary.tenants, tenantRecords, settings.tenancy, now)
    : { tenants: [], problems: [] };
  const problems: Problem[] = [
    ...(settings.configurationProblems ?? []).map((problem) => ({
      kind: 'configuration' as const,
      text: `Configuration error: ${problem}`,
      what_to_do: 'Fix the setting in the function app\'s configuration (README, "Configuration").',
    })),
    ...schedulerProblems(settings, lastRun, lastFinished, now, nextRunAt),
    ...censusProblems(settings, summary, now),
    // The 10-minute timer matters once it has subscriptions to keep alive (disabled: at once, not at the next census).
    ...((summary.counts.short_lived ?? 0) > 0
      ? shortTimerProblems(lastShortRun, lastShortFinished, now, settings, summary.counts.short_lived!)
      : []),
    ...found.problems,
    ...perTenant.problems,
    ...(attention.more
      ? [
          {
            kind: 'census' as const,
            text: 'More subscriptions need attention than are listed here (the first 1,000 are).',
            what_to_do: 'npm run ops -- list --failing lists them all.',
          },
        ]
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
      invalid: atLeast(live[MALFORMED_ROW], c.invalid),
      cannot_be_kept_alive: atLeast(live[CANNOT_BE_KEPT_ALIVE], c.cannot_be_kept_alive),
      short_lived: c.short_lived ?? 0,
      recreated_last_24h: c.recreated_last_24h,
      missed_notifications_last_24h: atLeast(live.missed, c.missed_notifications_last_24h),
      soonest_expiration: soonest
        ? { id: soonest.id, resource: soonest.resource, expiration_date_time: soonest.expirationDateTime.toISOString() }
        : null,
    },
    // Each tenant's counts (as of the census) and health (its last token request); a census stored
    // before tenants existed has no counts per tenant, and no line is better than a wrong one.
    ...(summary.tenants ? { tenants: perTenant.tenants } : {}),
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
      .map((rule) => ({
        kind: rule.kind,
        max_minutes: rule.maxMinutes,
        ...(rule.richMaxMinutes !== undefined ? { rich_max_minutes: rule.richMaxMinutes } : {}),
      })),
    learnt: rules.learntInForce().map(learnt),
    // A rule changed since (GRAPH_MAX_LIFETIMES, a release): these no longer apply, and Graph teaches again if it must.
    learnt_set_aside: rules.learntSetAside().map(learnt),
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
    last_error: f ? failureText(f) : (a.detail ?? null),
  };
}
