import { randomBytes } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import type { RunHistory } from '../renewal/ports';
import type { RunOutcome, RunRecord, RunStart, RunTotals, RunTrigger } from '../renewal/runRecord';
import { LearntMaximumTable } from './learntMaximumTable';
import { readDate } from './subscriptionRow';
import { explainedTable } from './tableClient';

/** The daily timer's runs and the manual ones ('run', as before), and the short-lived timer's ('shortrun'). */
export type RunPartition = 'run' | 'shortrun';
// RowKeys sort ascending; counting down from a far-future time puts the newest run first.
const FAR_FUTURE_MS = 9_999_999_999_999;

interface RunEntity {
  partitionKey: string;
  rowKey: string;
  trigger?: string;
  startedAt?: unknown;
  isPastDue?: boolean;
  outcome?: string;
  finishedAt?: unknown;
  checked?: number;
  due?: number;
  renewed?: number;
  failed?: number;
  recreated?: number;
  expired?: number;
  skipped?: number;
  invalid?: number;
  deferred?: number;
  queued?: number;
  error?: string;
}

/** The run-history table: one row per run, newest first. */
export class RunTable implements RunHistory {
  constructor(
    client: TableClient,
    private readonly partition: RunPartition = 'run',
  ) {
    // Every error names this table and says what to do; a table found missing is created again next time.
    ({ table: this.table, ensureExists: this.ensureExists } = explainedTable(client));
  }

  private readonly table: TableClient;

  /** The same table's record of the maxima Graph taught (a partition of its own). */
  learntMaxima(): LearntMaximumTable {
    return new LearntMaximumTable(this.table);
  }

  /** Creates the table when it does not exist yet (once per process, and again once found missing). */
  readonly ensureExists: () => Promise<void>;

  async start(run: RunStart): Promise<string> {
    const rowKey = `${String(FAR_FUTURE_MS - run.startedAt.getTime()).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
    await this.table.createEntity<RunEntity>({
      partitionKey: this.partition,
      rowKey,
      trigger: run.trigger,
      startedAt: run.startedAt,
      isPastDue: run.isPastDue,
      outcome: 'running',
    });
    return rowKey;
  }

  async finish(id: string, totals: RunTotals): Promise<void> {
    await this.table.updateEntity<RunEntity>(
      { partitionKey: this.partition, rowKey: id, ...totals, error: totals.error ?? '' },
      'Merge',
    );
  }

  async latest(): Promise<RunRecord | undefined> {
    return this.first(odata`PartitionKey eq ${this.partition}`);
  }

  async latestFinished(): Promise<RunRecord | undefined> {
    return this.first(odata`PartitionKey eq ${this.partition} and outcome ne ${'running'}`);
  }

  async recent(count: number): Promise<RunRecord[]> {
    // One request: the newest come first (RowKeys count down), and the service stops at the page size.
    const pages = this.table
      .listEntities<RunEntity>({ queryOptions: { filter: odata`PartitionKey eq ${this.partition}` } })
      .byPage({ maxPageSize: count });
    for await (const page of pages) {
      if (page.length > 0 || page.continuationToken === undefined) return page.slice(0, count).map(toRunRecord);
    }
    return [];
  }

  private async first(filter: string): Promise<RunRecord | undefined> {
    // The service may answer a filtered query with empty pages and a continuation: keep reading.
    for await (const entity of this.table.listEntities<RunEntity>({ queryOptions: { filter } })) {
      return toRunRecord(entity);
    }
    return undefined;
  }
}

function toRunRecord(entity: RunEntity): RunRecord {
  return {
    id: entity.rowKey,
    trigger: (entity.trigger ?? 'timer') as RunTrigger,
    startedAt: readDate(entity.startedAt) ?? new Date(0),
    isPastDue: entity.isPastDue === true,
    outcome: (entity.outcome ?? 'running') as RunOutcome,
    finishedAt: readDate(entity.finishedAt),
    checked: entity.checked,
    due: entity.due,
    renewed: entity.renewed,
    failed: entity.failed,
    recreated: entity.recreated,
    expired: entity.expired,
    skipped: entity.skipped,
    invalid: entity.invalid,
    deferred: entity.deferred,
    queued: entity.queued,
    error: entity.error || undefined,
  };
}
