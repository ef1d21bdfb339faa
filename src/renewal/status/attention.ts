import { keepAliveProblem } from '../policy/cadence';
import type { CensusSettings } from './summary';
import type { RenewalFailure, StoredRow } from '../subscription';

const HOUR_MS = 3_600_000;

/**
 * What needs a person, one kind per reason: a subscription Graph lost and that could not be recreated
 * (or whose recreation is under way), one whose renewals fail, a row that cannot be read, a resource
 * the schedule cannot keep alive, and missed notifications in the last 24 hours.
 */
export type AttentionKind = 'expired' | 'failing' | 'invalid' | 'doomed' | 'missed';

/** The order the status names them in (the order the full-scan status always used). */
export const ATTENTION_KINDS: readonly AttentionKind[] = ['expired', 'failing', 'invalid', 'doomed', 'missed'];

/**
 * One subscription that needs attention, as the index stores it: enough to name the problem and say
 * what to do without reading the subscription's row (so the status's cost follows the number of
 * problems, not of rows).
 */
export interface Attention {
  kind: AttentionKind;
  partitionKey: string;
  /** The subscription id (the row's RowKey; for a malformed row, whatever its RowKey is). */
  rowKey: string;
  resource?: string;
  /** When it was recorded: the failure's time, Graph's `missed`, or when the census found it. */
  at: Date;
  expirationDateTime?: Date;
  state?: 'active' | 'expired';
  consecutiveFailures?: number;
  lastFailure?: RenewalFailure;
  /** The problem in words, for a malformed row or a resource the schedule cannot keep alive. */
  detail?: string;
}

/** What the census expects the index to hold for one row: the kinds its data calls for. */
export function attentionFor(
  row: StoredRow,
  now: Date,
  settings: Pick<CensusSettings, 'rules' | 'marginHours' | 'schedules'>,
): Attention[] {
  if (!row.ok) return [{ kind: 'invalid', partitionKey: row.partitionKey, rowKey: row.rowKey, at: now, detail: row.problem }];
  const s = row.subscription;
  const base = { partitionKey: s.partitionKey, rowKey: s.id, resource: s.resource, expirationDateTime: s.expirationDateTime, state: s.state };
  const found: Attention[] = [];
  if (s.state === 'expired') {
    found.push({ ...base, kind: 'expired', at: s.lastFailure?.at ?? s.recreateStartedAt ?? now, lastFailure: s.lastFailure, consecutiveFailures: s.consecutiveFailures });
  } else {
    if (s.consecutiveFailures > 0) {
      found.push({ ...base, kind: 'failing', at: s.lastFailure?.at ?? now, consecutiveFailures: s.consecutiveFailures, lastFailure: s.lastFailure });
    }
    const problem = keepAliveProblem(s, settings.rules, settings.schedules.short.enabled);
    if (problem) found.push({ ...base, kind: 'doomed', at: now, detail: problem });
  }
  if (s.lastMissedAt && s.lastMissedAt.getTime() > now.getTime() - 24 * HOUR_MS) found.push({ ...base, kind: 'missed', at: s.lastMissedAt });
  return found;
}

/**
 * What an entry says, for telling whether the census must rewrite it: the time a census found a
 * malformed row or a doomed resource is not part of it (found again, it is the same problem).
 */
export function sameAttention(a: Attention, b: Attention): boolean {
  const said = (x: Attention) =>
    JSON.stringify([
      x.kind,
      x.resource ?? null,
      x.kind === 'invalid' || x.kind === 'doomed' ? null : x.at.getTime(),
      x.expirationDateTime?.getTime() ?? null,
      x.state ?? null,
      x.consecutiveFailures ?? null,
      x.lastFailure ? [x.lastFailure.at.getTime(), x.lastFailure.statusCode, x.lastFailure.code, x.lastFailure.message] : null,
      x.detail ?? null,
    ]);
  return said(a) === said(b);
}

/** The problem in one sentence, as the status has always worded it. */
export function problemSentence(a: Attention, pastExpiry = false): string {
  const label = `Subscription ${a.rowKey} (${a.resource ?? 'unknown resource'})`;
  const last = a.lastFailure;
  switch (a.kind) {
    case 'expired': {
      const why = last ? ` (last error: status ${last.statusCode} ${last.code}: ${last.message})` : '';
      const gone = pastExpiry ? '' : ' (Graph no longer has it)';
      return `${label} expired${gone} at ${a.expirationDateTime?.toISOString() ?? 'an unknown time'} and has not been recreated${why}; each run tries again.`;
    }
    case 'failing': {
      const detail = last ? `: last status ${last.statusCode} ${last.code} at ${last.at.toISOString()}` : '';
      return `${label} failed its last ${a.consecutiveFailures ?? 1} renewal attempt(s)${detail}; it expires at ${a.expirationDateTime?.toISOString() ?? 'an unknown time'}.`;
    }
    case 'invalid':
      return `Row ${a.partitionKey}/${a.rowKey} of the subscriptions table is malformed: ${a.detail ?? 'see the run log'}`;
    case 'doomed':
      return `${label}: ${a.detail ?? 'this schedule cannot keep it alive.'}`;
    case 'missed':
      return `${label}: Graph reported missed change notifications at ${a.at.toISOString()}; the consumer must resync (delta query).`;
  }
}

/** What a person does about it. */
export function whatToDo(a: Attention): string {
  const code = a.lastFailure?.code ?? '';
  switch (a.kind) {
    case 'expired':
      return /validation/i.test(`${code} ${a.lastFailure?.message ?? ''}`)
        ? 'Make the notification URL answer Graph\'s validation request within 10 s; each run then tries to recreate it. Or remove it: npm run ops -- remove <id>.'
        : 'Read the last error; each run tries to recreate it from its stored definition. Or remove it: npm run ops -- remove <id>.';
    case 'failing':
      if (a.lastFailure?.statusCode === 403) return 'Grant the app the Graph permission the resource needs (Mail.Read for mail), then renew now: npm run ops -- renew <id>.';
      if (a.lastFailure?.statusCode === 401) return 'Check the managed identity (AZURE_CLIENT_ID) and GRAPH_BASE_URL, then renew now: npm run ops -- renew <id>.';
      return 'Read the last error; the next run tries again, or renew now: npm run ops -- renew <id>.';
    case 'invalid':
      return 'Fix the row in Azure Storage Explorer as the problem says (README, "Table schema"): until then it is never renewed.';
    case 'doomed':
      if (/no lifecycleNotificationUrl/.test(a.detail ?? '') && /Event Grid/.test(a.detail ?? '')) {
        return 'Register it again with a lifecycleNotificationUrl (Graph then allows it 3 days), then remove this one (npm run ops -- remove <id>).';
      }
      if (/Event Grid/.test(a.detail ?? '')) {
        return 'No timer can renew it 3 hours ahead as Event Grid wants: register it again with a webhook or Event Hubs notificationUrl, then remove this one (npm run ops -- remove <id>).';
      }
      if (/is disabled/.test(a.detail ?? '')) {
        return 'Enable the renewShortLivedSubscriptions timer (AzureWebJobs.renewShortLivedSubscriptions.Disabled = false): until then it expires between two daily checks.';
      }
      return 'If Graph allows this resource more, say so in GRAPH_MAX_LIFETIMES (README, "Graph\'s rules"); otherwise remove it (npm run ops -- remove <id>).';
    case 'missed':
      return 'Have the consumer resync that resource with a delta query: notifications were lost.';
  }
}
