import type { RunHistory } from '../../../src/renewal/ports';
import { ScriptedFailures } from './scriptedFailures';
import type { RunRecord, RunStart, RunTotals } from './underTest';

/** The run-history table in memory: one record per run, newest first, as src/storage/runTable.ts keeps them. */
export class InMemoryRunHistory implements RunHistory {
  private readonly records: RunRecord[] = [];
  private count = 0;
  /** Failures the next calls meet (the table service down). */
  readonly failures = new ScriptedFailures<keyof RunHistory>();

  async start(run: RunStart): Promise<string> {
    this.failures.throwIfScripted('start');
    // The table's RowKeys count down from a far-future time: the newest run sorts first.
    const id = `${String(9_999_999_999_999 - run.startedAt.getTime()).padStart(13, '0')}-${String(++this.count).padStart(8, '0')}`;
    this.records.push({ id, ...run, outcome: 'running' });
    return id;
  }

  async finish(id: string, totals: RunTotals): Promise<void> {
    this.failures.throwIfScripted('finish');
    const record = this.records.find((candidate) => candidate.id === id);
    // A merge into a row that is not there fails on the table too.
    if (!record) throw new Error(`No run ${id} in the run history`);
    Object.assign(record, totals, { error: totals.error || undefined });
  }

  async latest(): Promise<RunRecord | undefined> {
    return this.newestFirst()[0];
  }

  async latestFinished(): Promise<RunRecord | undefined> {
    return this.newestFirst().find((record) => record.outcome !== 'running');
  }

  async recent(count: number): Promise<RunRecord[]> {
    return this.newestFirst().slice(0, count);
  }

  private newestFirst(): RunRecord[] {
    return [...this.records].sort((a, b) => (a.id < b.id ? -1 : 1)).map((record) => ({ ...record }));
  }
}
