import { problemSentence, whatToDo } from './attention';
import { type Attention, ATTENTION_KINDS, type AttentionKind, CANNOT_BE_KEPT_ALIVE } from './attentionKinds';

// A status body stays readable (and small) however many rows are broken: name the first few.
const MAX_NAMED_PER_PROBLEM = 20;
const HOUR_MS = 3_600_000;

/** A problem the status reports: its sentence, and what a person does about it. */
export interface Problem {
  kind: AttentionKind | 'configuration' | 'scheduler' | 'census' | 'tables' | 'tenant';
  text: string;
  what_to_do: string;
}

/** What the attention entries and the expirations found past say, grouped as the status reports them. */
export interface AttentionReport {
  problems: Problem[];
  counts: Record<AttentionKind, number>;
  /** Each subscription that needs attention, once (its gravest kind), for the page's table. */
  listed: Attention[];
}

/**
 * Groups the entries by kind, in the order the status has always named them, with the first 20 of
 * each named. A subscription Graph lost is not also named as failing or as one the schedule cannot
 * keep alive (as when the status read every row); a missed notification is named in any case.
 * `pastExpiry`: active rows whose expiration has passed, found by point reads.
 */
export function reportAttention(
  entries: readonly Attention[],
  pastExpiry: readonly Attention[],
  now: Date,
): AttentionReport {
  const lost = new Set(
    [...entries.filter((e) => e.kind === 'expired'), ...pastExpiry].map((e) => `${e.partitionKey}\u0000${e.rowKey}`),
  );
  const byKind = new Map<AttentionKind, { entry: Attention; past: boolean }[]>(
    ATTENTION_KINDS.map((kind) => [kind, []]),
  );
  const lastDay = now.getTime() - 24 * HOUR_MS;
  for (const entry of pastExpiry) byKind.get('expired')!.push({ entry, past: true });
  for (const entry of entries) {
    const key = `${entry.partitionKey}\u0000${entry.rowKey}`;
    if ((entry.kind === 'failing' || entry.kind === CANNOT_BE_KEPT_ALIVE) && lost.has(key)) continue;
    if (entry.kind === 'missed' && entry.at.getTime() <= lastDay) continue;
    if (
      entry.kind === 'expired' &&
      pastExpiry.some((p) => p.partitionKey === entry.partitionKey && p.rowKey === entry.rowKey)
    )
      continue;
    byKind.get(entry.kind)!.push({ entry, past: false });
  }
  const problems: Problem[] = [];
  const counts = {} as Record<AttentionKind, number>;
  const listed = new Map<string, Attention>();
  for (const kind of ATTENTION_KINDS) {
    const found = byKind.get(kind)!.sort((a, b) => a.entry.rowKey.localeCompare(b.entry.rowKey));
    counts[kind] = found.length;
    for (const { entry, past } of found.slice(0, MAX_NAMED_PER_PROBLEM)) {
      problems.push({ kind, text: problemSentence(entry, past), what_to_do: whatToDo(entry) });
    }
    if (found.length > MAX_NAMED_PER_PROBLEM) {
      problems.push({
        kind,
        text: `... and ${found.length - MAX_NAMED_PER_PROBLEM} more like these.`,
        what_to_do: whatToDo(found[0]!.entry),
      });
    }
    for (const { entry } of found) {
      const key = `${entry.partitionKey}\u0000${entry.rowKey}`;
      if (!listed.has(key)) listed.set(key, entry);
    }
  }
  return { problems, counts, listed: [...listed.values()] };
}
