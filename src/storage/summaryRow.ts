import type { CensusSummary } from '../renewal/status/summary';

/** The census is one row of the index table. */
export const SUMMARY_KEYS = { partitionKey: 'summary', rowKey: 'census' } as const;
// A string property holds at most 64 KiB (32K UTF-16 characters); an entity at most 1 MiB in all
// (Understanding the Table service data model, learn.microsoft.com/rest/api/storageservices).
const CHUNK_CHARS = 30_000;
const MAX_CHUNKS = 30;

/** The summary as an entity: its JSON cut into string properties data0, data1, … */
export function toSummaryEntity(
  summary: CensusSummary,
): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const json = JSON.stringify(summary);
  const chunks = Math.ceil(json.length / CHUNK_CHARS);
  if (chunks > MAX_CHUNKS)
    throw new Error(`The census summary is ${json.length} characters, more than a table row holds.`);
  const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
    ...SUMMARY_KEYS,
    // Readable in Storage Explorer without decoding the rest.
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
    total: summary.counts.total,
    chunks,
  };
  for (let i = 0; i < chunks; i++) entity[`data${i}`] = json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return entity;
}

const DATES = new Set(['startedAt', 'finishedAt', 'from', 'expirationDateTime', 'soonestExpiration']);

/** The summary a census stored, or undefined when the row cannot be read as one (then a census runs again). */
export function fromSummaryEntity(entity: Record<string, unknown>): CensusSummary | undefined {
  const chunks = entity.chunks;
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1 || chunks > MAX_CHUNKS) return undefined;
  let json = '';
  for (let i = 0; i < chunks; i++) {
    const part = entity[`data${i}`];
    if (typeof part !== 'string') return undefined;
    json += part;
  }
  try {
    const summary = JSON.parse(json, (key, value: unknown) =>
      DATES.has(key) && typeof value === 'string' ? new Date(value) : value,
    ) as CensusSummary;
    if (
      !(summary.startedAt instanceof Date) ||
      Number.isNaN(summary.startedAt.getTime()) ||
      !summary.counts ||
      !summary.histogram
    )
      return undefined;
    return summary;
  } catch {
    return undefined;
  }
}
