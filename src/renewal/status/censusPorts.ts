// The ports the census works through: the subscription table as it reads and mends the rows, and the
// index table it keeps true to them (storage/ implements both).
import type { StoredRow } from '../subscription';
import type { Attention, AttentionKind } from './attentionKinds';
import type { CensusSummary } from './summary';

/** A subscription row as the census reads it: what it holds, and the two things only the census mends on it. */
export interface CensusRow {
  row: StoredRow;
  /** The row's ETag: a mend is written only if nobody rewrote the row since it was read. */
  etag: string;
  /** The row is marked as having its entry in the index's id lookup. */
  idIndexed: boolean;
  /** Its expiration, when typed as text (by hand): the run's selection sees it only once it is a DateTime. */
  expirationText?: string;
}

/** What the census writes on a readable row: its id entry marked written, a text date made a DateTime. */
export interface CensusMend {
  idIndexed?: true;
  expirationDateTime?: Date;
}

/** The subscription table, as the census reads and mends it. */
export interface CensusRows {
  /** Every row, a page at a time (the service's largest page: a census reads them all). */
  censusPages(): AsyncIterable<CensusRow[]>;
  /** One row by its keys; undefined when it no longer exists. */
  read(partitionKey: string, rowKey: string): Promise<StoredRow | undefined>;
  /** Merges `mend` onto the row, only if its ETag is still `etag`. */
  mend(partitionKey: string, rowKey: string, mend: CensusMend, etag: string): Promise<void>;
}

/** The index table, as the census keeps it true to the rows and stores its summary. */
export interface CensusIndex {
  /** Every problem recorded, a page at a time, each with its ETag. */
  allAttention(): AsyncIterable<(Attention & { etag: string })[]>;
  /** Records a problem. */
  flag(attention: Attention): Promise<void>;
  /** Removes one problem; with `etag`, only if nobody rewrote it since. */
  unflag(kind: AttentionKind, partitionKey: string, rowKey: string, etag?: string): Promise<void>;
  /** Records that subscription `id` has its row in `partitionKey`. */
  point(id: string, partitionKey: string): Promise<void>;
  writeSummary(summary: CensusSummary): Promise<void>;
}
