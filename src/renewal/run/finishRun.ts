import { redact } from '../../lib/redact';
import { ALL_TENANTS, eventLine } from '../events';
import type { Log, RunHistory } from '../ports';
import type { RunCounts, RunRecord, RunTotals } from '../runRecord';
import type { RunState } from './runState';

/** What finishing a run needs: the run history, the log, the clock, and when the run's timer fires next. */
export interface FinishInput {
  runs: RunHistory;
  log: Log;
  now: () => Date;
  nextRunAt: Date;
}

/**
 * Records the run's end and logs its runFinished line. The record is written before the line is
 * logged, but a record that cannot be written (the table service down) must not take the run's own
 * account with it: the line says what was done either way, and then the write's error is thrown.
 */
export async function finishRun(
  input: FinishInput,
  run: RunState,
): Promise<RunTotals & Pick<RunRecord, 'id' | 'startedAt'>> {
  const { log } = input;
  const { totals, fatal } = run;
  run.finishing = true;
  const result: RunTotals = { finishedAt: input.now(), outcome: outcomeOf(totals, fatal), ...totals };
  if (fatal) result.error = redact(fatal.message);
  const unrecorded = await input.runs.finish(run.id, result).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  const sentence =
    `Renewal run ${result.outcome}: ${totals.checked} checked, ${totals.due} due, ${totals.renewed} renewed, ` +
    `${totals.failed} failed, ${totals.recreated} recreated, ${totals.expired} expired, ${totals.skipped} skipped, ` +
    `${totals.invalid} malformed, ${totals.deferred} deferred, ${totals.queued} queued. ` +
    `Next check at ${input.nextRunAt.toISOString()}.` +
    (unrecorded
      ? ` The run could not be recorded in the run history (the status shows it as running): ${redact(unrecorded.message)}`
      : '');
  const line = eventLine(sentence, {
    event: 'runFinished',
    tenantId: ALL_TENANTS,
    runId: run.id,
    outcome: result.outcome,
    ...totals,
    nextRunAt: input.nextRunAt.toISOString(),
    ...(result.error ? { error: result.error } : {}),
    ...(unrecorded ? { recordError: redact(unrecorded.message) } : {}),
  });
  if (result.outcome === 'succeeded' && !unrecorded) log.info(line);
  else log.error(line);
  if (unrecorded) throw unrecorded;
  return { id: run.id, startedAt: run.startedAt, ...result };
}

/** Subscriptions handed to the queue are not counted against the run: the queue renews them. */
function outcomeOf(totals: RunCounts, fatal: Error | undefined): RunTotals['outcome'] {
  if (fatal) return 'failed';
  if (totals.renewed + totals.recreated === 0 && (totals.failed > 0 || totals.deferred > 0)) return 'failed';
  if (totals.failed > 0 || totals.expired > 0 || totals.invalid > 0 || totals.deferred > 0) return 'partial';
  return 'succeeded';
}
