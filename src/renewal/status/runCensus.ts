import { forEachConcurrently } from '../../lib/concurrently';
import { redact } from '../../lib/redact';
import { ALL_TENANTS, eventLine } from '../events';
import { dueHorizon } from '../policy/due';
import type { Log, RenewalHandOff } from '../ports';
import type { StoredRow, StoredSubscription } from '../subscription';
import { attentionFor, sameAttention } from './attention';
import { type Attention, attentionKey, datedWhenFound } from './attentionKinds';
import type { CensusIndex, CensusMend, CensusRow, CensusRows } from './censusPorts';
import { type CensusSettings, type CensusSummary, CensusTally } from './summary';

// Writes in flight at once (backfills, text dates made DateTime, problems recorded).
const WRITE_CONCURRENCY = 16;

export interface CensusInput {
  subscriptions: CensusRows;
  index: CensusIndex;
  /** Where a due row whose date was text goes, so it is renewed before it expires (no queue: the next run). */
  handOff?: RenewalHandOff;
  log: Log;
  now: () => Date;
  settings: CensusSettings;
}

/**
 * Reads every subscription row, a page at a time (flat memory), and stores what the status needs from
 * all of them in one summary row: the counts, the soonest expirations and a histogram of expirations.
 * On the way it keeps the index true to the table, so what was typed by hand is caught within one
 * census: a problem the index lacks is recorded, one it holds that the rows no longer show is
 * removed (only if unchanged since read: a writer's newer entry stays), a row without an id entry
 * gets one, and a date typed as text becomes a DateTime (under the row's ETag), so the run's
 * selection sees it. It never writes to a malformed row.
 */
export async function runCensus(input: CensusInput): Promise<CensusSummary> {
  const { index, subscriptions, settings } = input;
  const startedAt = input.now();
  const known = new Map<string, Attention & { etag: string }>();
  for await (const page of index.allAttention()) for (const entry of page) known.set(keyOf(entry), entry);
  const seen = new Set<string>();
  const tally = new CensusTally(startedAt, settings);
  const work = { converted: 0, indexed: 0, flagged: 0, cleared: 0, queued: 0 };
  const dueNow: StoredSubscription[] = [];
  const failures: string[] = [];
  const safely = async (what: string, write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      if (failures.length < 5) failures.push(`${what}: ${redact((error as Error).message)}`);
    }
  };

  for await (const page of subscriptions.censusPages()) {
    const writes: (() => Promise<void>)[] = [];
    for (const read of page) {
      const row = read.row;
      tally.add(row);
      for (const expected of attentionFor(row, startedAt, settings)) {
        const key = keyOf(expected);
        const held = known.get(key);
        seen.add(key);
        if (held && sameAttention(held, { ...expected, at: datedWhenFound(expected.kind) ? held.at : expected.at }))
          continue;
        writes.push(() =>
          safely(`recording ${key}`, async () => {
            const fresh = await stillCalledFor(subscriptions, expected, startedAt, settings);
            if (!fresh) return;
            await index.flag(held && datedWhenFound(fresh.kind) ? { ...fresh, at: held.at } : fresh);
            work.flagged++;
          }),
        );
      }
      if (!row.ok) continue;
      const fix = mendFor(read);
      if (!fix) continue;
      const s = row.subscription;
      writes.push(() =>
        safely(`row ${s.partitionKey}/${s.id}`, async () => {
          // The entry first: a row marked indexed always has one (unless a person removed it).
          if (fix.idIndexed) await index.point(s.id, s.partitionKey);
          await subscriptions.mend(s.partitionKey, s.id, fix, read.etag);
          if (fix.idIndexed) work.indexed++;
          if (fix.expirationDateTime) {
            work.converted++;
            if (
              s.state === 'active' &&
              s.expirationDateTime.getTime() < dueHorizon(s, settings.rules, settings.schedules).getTime()
            )
              dueNow.push(s);
          }
        }).catch(() => undefined),
      );
    }
    await forEachConcurrently(writes, WRITE_CONCURRENCY, (write) => write());
  }

  // What the rows no longer call for goes, unless a writer has rewritten it since it was read.
  const stale = [...known.entries()].filter(([key]) => !seen.has(key)).map(([, entry]) => entry);
  await forEachConcurrently(stale, WRITE_CONCURRENCY, (entry) =>
    safely(`clearing ${keyOf(entry)}`, async () => {
      await index.unflag(entry.kind, entry.partitionKey, entry.rowKey, entry.etag);
      work.cleared++;
    }),
  );
  if (dueNow.length > 0 && input.handOff) {
    await safely('handing due rows to the renewal queue', async () => {
      work.queued = await input.handOff!.send(dueNow, `census-${startedAt.toISOString()}`);
    });
  }
  const summary: CensusSummary = { startedAt, finishedAt: input.now(), ...tally.result(), work };
  await index.writeSummary(summary);
  report(summary, failures, input.log);
  return summary;
}

function keyOf(a: Pick<Attention, 'kind' | 'partitionKey' | 'rowKey'>): string {
  return attentionKey(a.kind, a.partitionKey, a.rowKey);
}

/** What to merge onto a readable row: its id entry written, and a date typed as text made a DateTime. */
function mendFor(read: CensusRow): CensusMend | undefined {
  const fix: CensusMend = {};
  if (!read.idIndexed) fix.idIndexed = true;
  if (read.expirationText !== undefined) fix.expirationDateTime = new Date(read.expirationText.trim());
  return fix.idIndexed || fix.expirationDateTime ? fix : undefined;
}

/**
 * Read again just before recording what the census found missing or different: a writer may have
 * settled it since the page was read (a renewal that cleared the failures: a false alarm would last
 * until the next census), or recorded a newer failure (which the census must not write over with
 * what it read before). Resolves with the entry as the row says now, or undefined.
 */
async function stillCalledFor(
  subscriptions: CensusRows,
  expected: Attention,
  now: Date,
  settings: CensusInput['settings'],
): Promise<Attention | undefined> {
  const row: StoredRow | undefined = await subscriptions.read(expected.partitionKey, expected.rowKey);
  if (!row) return undefined;
  return attentionFor(row, now, settings).find((found) => found.kind === expected.kind);
}

function report(summary: CensusSummary, failures: string[], log: Log): void {
  const { counts, work } = summary;
  const seconds = ((summary.finishedAt.getTime() - summary.startedAt.getTime()) / 1000).toFixed(1);
  const sentence =
    `Census: ${counts.total} row(s), ${counts.active} active, ${counts.due_before_next_run} due before the next run; ` +
    `${work.flagged} problem(s) recorded, ${work.cleared} cleared, ${work.indexed} row(s) indexed, ${work.converted} text date(s) made DateTime, ` +
    `${work.queued} queued, in ${seconds} s.` +
    (failures.length > 0 ? ` Some writes failed (the next census tries again): ${failures.join('; ')}` : '');
  const line = eventLine(sentence, {
    event: 'censusFinished',
    tenantId: ALL_TENANTS,
    ...counts,
    ...work,
    seconds: Number(seconds),
    failedWrites: failures.length,
  });
  if (failures.length > 0) log.warn(line);
  else log.info(line);
}
