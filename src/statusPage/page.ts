import type { Problem } from '../renewal/status/problems';
import type { TenantStatus } from '../renewal/status/tenants';
import type { Timeline } from '../renewal/status/timeline';
import type { TimerView } from '../renewal/status/timers';
import { esc } from './escape';
import { PAGE_STYLE } from './pageStyle';
import { timelineSvg } from './pageTimeline';

/** What the page shows: the status body's fields (src/renewal/status/readStatus.ts). */
export interface PageData {
  success: boolean;
  checked_at: string;
  summary_computed_at?: string;
  timers?: TimerView[];
  subscriptions?: Record<string, unknown>;
  problem_details?: Problem[];
  problems?: string[];
  attention?: {
    kind: string;
    id: string;
    partition_key: string;
    resource: string | null;
    since: string;
    expiration_date_time: string | null;
    consecutive_failures: number;
    last_error: string | null;
  }[];
  timeline?: Timeline;
  tenants?: TenantStatus[];
  recent_runs?: Record<string, unknown>[];
  graph_rules?: {
    overrides: { kind: string; max_minutes: number }[];
    learnt: { kind: string; max_minutes: number; configured_minutes: number; learnt_at: string }[];
  };
}

const COUNT_LABELS: [string, string, boolean][] = [
  ['total', 'stored', false],
  ['active', 'active', false],
  ['due_before_next_run', 'due before the next run', false],
  ['expired', 'expired', true],
  ['failing', 'failing', true],
  ['invalid', 'malformed rows', true],
  ['cannot_be_kept_alive', 'cannot be kept alive', true],
  ['short_lived', 'renewed every 10 minutes', false],
  ['missed_notifications_last_24h', 'missed notifications (24 h)', true],
  ['recreated_last_24h', 'recreated (24 h)', false],
];

/** The status page: server-rendered, one style block, no script, no asset fetched (src/functions/statusPage.ts). */
export function renderStatusPage(data: PageData): string {
  const problems =
    data.problem_details ?? (data.problems ?? []).map((text) => ({ kind: 'scheduler', text, what_to_do: '' }));
  const verdict = data.success
    ? 'Healthy: nothing needs a person'
    : `${problems.length} problem${problems.length === 1 ? '' : 's'} need${problems.length === 1 ? 's' : ''} a person`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(data.success ? 'Healthy' : 'Needs attention')} · Graph subscription renewal</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<header class="${data.success ? 'ok' : 'bad'}">
<h1>${esc(verdict)}</h1>
<p class="muted">Checked ${esc(data.checked_at)}${data.summary_computed_at ? ` · counts and timeline as of the census at ${esc(data.summary_computed_at)}` : ''}</p>
</header>
${problemsSection(problems)}
${data.timeline ? `<section><h2>Upcoming expirations, next ${esc(data.timeline.hours)} h</h2>${timelineSvg(data.timeline)}</section>` : ''}
${timersSection(data.timers ?? [])}
${countsSection(data.subscriptions ?? {})}
${tenantsSection(data.tenants ?? [])}
${runsSection(data.recent_runs ?? [])}
${rulesSection(data.graph_rules)}
${attentionSection(data.attention ?? [])}
</main>
</body>
</html>
`;
}

function problemsSection(problems: Pick<Problem, 'text' | 'what_to_do'>[]): string {
  if (problems.length === 0)
    return '<section><h2>Problems</h2><p>None: every subscription is renewed on schedule.</p></section>';
  const items = problems
    .map(
      (p) =>
        `<li><p>${esc(p.text)}</p>${p.what_to_do ? `<p class="todo"><strong>What to do:</strong> ${esc(p.what_to_do)}</p>` : ''}</li>`,
    )
    .join('\n');
  return `<section><h2>Problems</h2><ol class="problems">${items}</ol></section>`;
}

function timersSection(timers: TimerView[]): string {
  const rows = timers
    .map((t) => {
      const last = t.last_run
        ? `${esc(t.last_run.outcome ?? '')} ${esc(t.last_run.finished_at ?? t.last_run.started_at ?? '')}`
        : 'never';
      return `<tr><td class="kind">${esc(t.function)}</td><td data-label="schedule">${esc(t.schedule)}</td><td data-label="next run">${esc(t.next_run_time)}<br><span class="muted">${esc(t.timezone)} · ${esc(t.next_run_time_utc)}</span></td><td data-label="enabled">${t.is_running ? 'yes' : '<strong>disabled</strong>'}</td><td data-label="last run">${last}</td></tr>`;
    })
    .join('\n');
  return `<section><h2>Timers</h2><div class="scroll"><table class="stack"><thead><tr><th>function</th><th>schedule</th><th>next run</th><th>enabled</th><th>last run</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function countsSection(counts: Record<string, unknown>): string {
  const cells = COUNT_LABELS.map(([key, label, bad]) => {
    const value = Number(counts[key] ?? 0);
    return `<div class="${bad && value > 0 ? 'bad' : ''}"><dt>${esc(label)}</dt><dd>${esc(value.toLocaleString('en-US'))}</dd></div>`;
  }).join('');
  return `<section><h2>Subscriptions</h2><dl class="counts">${cells}</dl></section>`;
}

function runsSection(runs: Record<string, unknown>[]): string {
  if (runs.length === 0) return '<section><h2>Last runs</h2><p>No run yet.</p></section>';
  const rows = runs
    .map(
      (r) =>
        `<tr><td class="when">${esc(r.started_at)}</td><td>${esc(r.trigger)}</td><td>${esc(r.outcome)}</td><td>${esc(r.checked)}</td><td>${esc(r.due)}</td><td>${esc(r.renewed)}</td><td>${esc(r.failed)}</td><td>${esc(r.recreated)}</td><td>${esc(r.queued)}</td><td class="long">${esc(r.error ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Last runs</h2><div class="scroll"><table><thead><tr><th>started</th><th>trigger</th><th>outcome</th><th>checked</th><th>due</th><th>renewed</th><th>failed</th><th>recreated</th><th>queued</th><th>error</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

/** What the rules in force differ from the documented table by: overrides, and maxima Graph taught. */
function rulesSection(rules: PageData['graph_rules']): string {
  const rows = [
    ...(rules?.overrides ?? []).map(
      (o) => `<tr><td class="kind">${esc(o.kind)}</td><td>${esc(o.max_minutes)}</td><td>GRAPH_MAX_LIFETIMES</td></tr>`,
    ),
    ...(rules?.learnt ?? []).map(
      (l) =>
        `<tr><td class="kind">${esc(l.kind)}</td><td>${esc(l.max_minutes)}</td><td>Graph stated it at ${esc(l.learnt_at)} (the rules said ${esc(l.configured_minutes)})</td></tr>`,
    ),
  ];
  if (rows.length === 0) return '';
  return `<section><h2>Graph's rules in force, where they differ from the documented table</h2><div class="scroll"><table><thead><tr><th>kind</th><th>maximum, minutes</th><th>from</th></tr></thead><tbody>${rows.join('\n')}</tbody></table></div></section>`;
}

function attentionSection(entries: NonNullable<PageData['attention']>): string {
  if (entries.length === 0) return '<section><h2>Subscriptions that need attention</h2><p>None.</p></section>';
  const rows = entries
    .map(
      (a) =>
        `<tr><td class="kind">${esc(a.kind)}</td><td class="long">${esc(a.id)}<br><span class="muted">${esc(a.partition_key)}</span></td><td class="long" data-label="resource">${esc(a.resource ?? '')}</td><td class="when" data-label="since">${esc(a.since)}</td><td class="when" data-label="expires">${esc(a.expiration_date_time ?? '')}</td><td class="long" data-label="last error">${esc(a.last_error ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Subscriptions that need attention</h2><div class="scroll"><table class="stack"><thead><tr><th>problem</th><th>subscription</th><th>resource</th><th>since</th><th>expires</th><th>last error</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

/** Only where there is more than the home tenant: a single-tenant page looks as it always has. */
function tenantsSection(tenants: TenantStatus[]): string {
  if (tenants.length <= 1) return '';
  const consent = (t: TenantStatus) =>
    t.consent === 'missing' || t.consent === 'notAdded'
      ? `<strong>${t.consent === 'missing' ? 'no token' : 'not added'}</strong>${t.consent_url ? `<br><span class="muted">admin consent: ${esc(t.consent_url)}</span>` : ''}`
      : t.consent === 'managedIdentity'
        ? 'managed identity'
        : 'granted';
  const rows = tenants
    .map(
      (t) =>
        `<tr><td class="kind">${esc(t.tenant_id)}${t.display_name ? `<br><span class="muted">${esc(t.display_name)}</span>` : ''}${t.home ? '<br><span class="muted">home</span>' : ''}</td><td data-label="token">${consent(t)}</td><td data-label="active">${esc(t.active)}</td><td data-label="due">${esc(t.due_before_next_run)}</td><td data-label="failing">${esc(t.failing)}</td><td data-label="expired">${esc(t.expired)}</td><td data-label="soonest expiry">${esc(t.soonest_expiration ?? '-')}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Tenants</h2><div class="scroll"><table class="stack"><thead><tr><th>tenant</th><th>token</th><th>active</th><th>due</th><th>failing</th><th>expired</th><th>soonest expiry</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}
