import { redact } from '../../lib/redact';
import { ALL_TENANTS, eventLine } from '../events';
import type { Log, RenewalHandOff } from '../ports';
import type { StoredSubscription } from '../subscription';

/**
 * The budget is used up: hands what was not started to the queue, where the queue-triggered function
 * renews it (and the platform scales that out), or leaves it for the next run when there is no queue
 * or it cannot be reached. Nothing was half-written: these were never started.
 */
export async function handOffRest(
  left: StoredSubscription[],
  runId: string,
  totals: { deferred: number; queued: number },
  input: { log: Log; handOff?: RenewalHandOff },
): Promise<void> {
  const { log } = input;
  let queued = 0;
  let problem: string | undefined;
  if (input.handOff) {
    try {
      queued = await input.handOff.send(left, runId);
    } catch (error) {
      problem = redact((error as Error).message);
    }
  }
  totals.queued = queued;
  totals.deferred = left.length - queued;
  if (queued > 0) {
    log.warn(
      eventLine(
        `Run time budget used up: ${queued} due webhook(s) handed to the renewal queue ${input.handOff!.queueName} (RENEWAL_RUN_BUDGET_MINUTES).`,
        { event: 'budgetExhausted', tenantId: ALL_TENANTS, runId, deferred: totals.deferred, queued },
      ),
    );
  }
  if (totals.deferred > 0) {
    const why = problem ? ` (the renewal queue could not take them: ${problem})` : '';
    const line = eventLine(
      `Run time budget used up: ${totals.deferred} due webhook(s) left for the next run (RENEWAL_RUN_BUDGET_MINUTES)${why}.`,
      {
        event: 'budgetExhausted',
        tenantId: ALL_TENANTS,
        runId,
        deferred: totals.deferred,
        queued,
        ...(problem ? { error: problem } : {}),
      },
    );
    if (problem) log.error(line);
    else log.warn(line);
  }
}
