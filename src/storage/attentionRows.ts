import { type Attention, ATTENTION_KINDS, attentionKey, type AttentionKind } from '../renewal/status/attentionKinds';
import type { RenewalFailure, StoredSubscription } from '../renewal/subscription';
import { readDate } from './subscriptionRow';

/**
 * The attention entries live in one partition of the index table, so the status reads them all with
 * one query (a query that crosses partitions may come back in pieces: Query Timeout and Pagination,
 * learn.microsoft.com/rest/api/storageservices/query-timeout-and-pagination).
 */
export const ATTENTION_PARTITION = 'attention';

/** One entry per subscription row and kind: its RowKey is the entry's key (attentionKey). */
export function attentionRowKey(kind: AttentionKind, partitionKey: string, rowKey: string): string {
  return attentionKey(kind, partitionKey, rowKey);
}

export function toAttentionEntity(a: Attention): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: ATTENTION_PARTITION,
    rowKey: attentionRowKey(a.kind, a.partitionKey, a.rowKey),
    kind: a.kind,
    subscriptionPartition: a.partitionKey,
    subscriptionRowKey: a.rowKey,
    resource: a.resource ?? '',
    at: a.at,
    expirationDateTime: a.expirationDateTime ?? '',
    state: a.state ?? '',
    consecutiveFailures: a.consecutiveFailures ?? 0,
    lastErrorAt: a.lastFailure?.at ?? '',
    lastErrorStatus: a.lastFailure?.statusCode ?? 0,
    lastErrorCode: a.lastFailure?.code ?? '',
    // String properties hold at most 32K characters; these are read by people.
    lastErrorMessage: (a.lastFailure?.message ?? '').slice(0, 1000),
    detail: (a.detail ?? '').slice(0, 2000),
  };
}

const KINDS = new Set<string>(ATTENTION_KINDS);

/** An entry as the index holds it, or undefined when it is not one (typed by hand, another version's). */
export function fromAttentionEntity(entity: Record<string, unknown>): (Attention & { etag: string }) | undefined {
  const text = (name: string) => (typeof entity[name] === 'string' && entity[name] !== '' ? entity[name] : undefined);
  const kind = text('kind');
  const partitionKey = typeof entity.subscriptionPartition === 'string' ? entity.subscriptionPartition : undefined;
  const rowKey = typeof entity.subscriptionRowKey === 'string' ? entity.subscriptionRowKey : undefined;
  const at = readDate(entity.at);
  if (!kind || !KINDS.has(kind) || partitionKey === undefined || rowKey === undefined || !at) return undefined;
  const errorAt = readDate(entity.lastErrorAt);
  const state = text('state');
  return {
    kind: kind as AttentionKind,
    partitionKey,
    rowKey,
    resource: text('resource'),
    at,
    expirationDateTime: readDate(entity.expirationDateTime),
    state: state === 'active' || state === 'expired' ? state : undefined,
    consecutiveFailures:
      typeof entity.consecutiveFailures === 'number' && entity.consecutiveFailures > 0
        ? entity.consecutiveFailures
        : undefined,
    lastFailure: errorAt
      ? {
          at: errorAt,
          statusCode: typeof entity.lastErrorStatus === 'number' ? entity.lastErrorStatus : 0,
          code: text('lastErrorCode') ?? 'Unknown',
          message: text('lastErrorMessage') ?? '',
        }
      : undefined,
    detail: text('detail'),
    etag: typeof entity.etag === 'string' ? entity.etag : '*',
  };
}

/** What every entry of a subscription's row holds. */
export function attentionBase(s: StoredSubscription) {
  return {
    partitionKey: s.partitionKey,
    rowKey: s.id,
    resource: s.resource,
    expirationDateTime: s.expirationDateTime,
    state: s.state,
  };
}

/** The entry of a row whose renewals fail. */
export function failingAttention(s: StoredSubscription, failure: RenewalFailure, failures: number): Attention {
  return { ...attentionBase(s), kind: 'failing', at: failure.at, consecutiveFailures: failures, lastFailure: failure };
}

/** The entry of a row Graph lost, awaiting its recreation. */
export function expiredAttention(s: StoredSubscription, at: Date, failure: RenewalFailure | undefined): Attention {
  return {
    ...attentionBase(s),
    kind: 'expired',
    state: 'expired',
    at,
    lastFailure: failure,
    consecutiveFailures: s.consecutiveFailures,
  };
}
