// The attention entries' shape and kinds, which the index table stores (storage/ reads and writes them):
// plain types and constants, so the adapter needs nothing else of the status.
import type { RenewalFailure } from '../subscription';

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

/** A malformed row: stored, logged and shown as 'invalid' (the contract), called malformed in the code and the sentences. */
export const MALFORMED_ROW = 'invalid' as const satisfies AttentionKind;
/** A subscription no timer can keep alive: stored as 'doomed', shown as `cannot_be_kept_alive`. */
export const CANNOT_BE_KEPT_ALIVE = 'doomed' as const satisfies AttentionKind;

/**
 * Whether an entry of this kind is dated when a census (or a run) found it, rather than by what the
 * row says: found again, it is the same problem, and keeps the date it was first found.
 */
export function datedWhenFound(kind: AttentionKind): boolean {
  return kind === MALFORMED_ROW || kind === CANNOT_BE_KEPT_ALIVE;
}

/**
 * The entry's key in the index: one per subscription row and kind. Keys may hold any character a key
 * may, so the partition key comes with its length: no two rows share one.
 */
export function attentionKey(kind: AttentionKind, partitionKey: string, rowKey: string): string {
  return `${kind}:${partitionKey.length}:${partitionKey}:${rowKey}`;
}
