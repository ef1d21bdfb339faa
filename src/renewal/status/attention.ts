import { keepAliveProblem } from '../policy/cadence';
import type { StoredRow } from '../subscription';
import { type Attention, CANNOT_BE_KEPT_ALIVE, datedWhenFound, MALFORMED_ROW } from './attentionKinds';
import type { CensusSettings } from './summary';

const HOUR_MS = 3_600_000;

/** What the census expects the index to hold for one row: the kinds its data calls for. */
export function attentionFor(
  row: StoredRow,
  now: Date,
  settings: Pick<CensusSettings, 'rules' | 'marginHours' | 'schedules'>,
): Attention[] {
  if (!row.ok)
    return [{ kind: MALFORMED_ROW, partitionKey: row.partitionKey, rowKey: row.rowKey, at: now, detail: row.problem }];
  const s = row.subscription;
  const base = {
    partitionKey: s.partitionKey,
    rowKey: s.id,
    resource: s.resource,
    expirationDateTime: s.expirationDateTime,
    state: s.state,
  };
  const found: Attention[] = [];
  if (s.state === 'expired') {
    found.push({
      ...base,
      kind: 'expired',
      at: s.lastFailure?.at ?? s.recreateStartedAt ?? now,
      lastFailure: s.lastFailure,
      consecutiveFailures: s.consecutiveFailures,
    });
  } else {
    if (s.consecutiveFailures > 0) {
      found.push({
        ...base,
        kind: 'failing',
        at: s.lastFailure?.at ?? now,
        consecutiveFailures: s.consecutiveFailures,
        lastFailure: s.lastFailure,
      });
    }
    const problem = keepAliveProblem(s, settings.rules, settings.schedules.short.enabled);
    if (problem) found.push({ ...base, kind: CANNOT_BE_KEPT_ALIVE, at: now, detail: problem });
  }
  if (s.lastMissedAt && s.lastMissedAt.getTime() > now.getTime() - 24 * HOUR_MS)
    found.push({ ...base, kind: 'missed', at: s.lastMissedAt });
  return found;
}

/**
 * What an entry says, for telling whether the census must rewrite it: the time a census found a
 * malformed row or a resource no timer can keep alive is not part of it (see datedWhenFound).
 */
export function sameAttention(a: Attention, b: Attention): boolean {
  const said = (x: Attention) =>
    JSON.stringify([
      x.kind,
      x.resource ?? null,
      datedWhenFound(x.kind) ? null : x.at.getTime(),
      x.expirationDateTime?.getTime() ?? null,
      x.state ?? null,
      x.consecutiveFailures ?? null,
      x.lastFailure
        ? [x.lastFailure.at.getTime(), x.lastFailure.statusCode, x.lastFailure.code, x.lastFailure.message]
        : null,
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
    case MALFORMED_ROW:
      return `Row ${a.partitionKey}/${a.rowKey} of the subscriptions table is malformed: ${a.detail ?? 'see the run log'}`;
    case CANNOT_BE_KEPT_ALIVE:
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
        ? "Make the notification URL answer Graph's validation request within 10 s; each run then tries to recreate it. Or remove it: npm run ops -- remove <id>."
        : 'Read the last error; each run tries to recreate it from its stored definition. Or remove it: npm run ops -- remove <id>.';
    case 'failing':
      if (a.lastFailure?.statusCode === 403)
        return 'Grant the app the Graph permission the resource needs (Mail.Read for mail), then renew now: npm run ops -- renew <id>.';
      if (a.lastFailure?.statusCode === 401)
        return 'Check the managed identity (AZURE_CLIENT_ID) and GRAPH_BASE_URL, then renew now: npm run ops -- renew <id>.';
      return 'Read the last error; the next run tries again, or renew now: npm run ops -- renew <id>.';
    case MALFORMED_ROW:
      return 'Fix the row in Azure Storage Explorer as the problem says (README, "Table schema"): until then it is never renewed.';
    case CANNOT_BE_KEPT_ALIVE:
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
