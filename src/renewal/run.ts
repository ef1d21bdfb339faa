import { CredentialError } from '../graph/errors';
import { redact } from '../redact';
import { forEachConcurrently } from './concurrently';
import { eventLine } from './events';
import type { RunHistory, SubscriptionStore } from './ports';
import { workFor } from './policy';
import { renewSubscription, type RenewalContext } from './renewSubscription';
import type { RunRecord, RunTotals, RunTrigger } from './runRecord';
import type { StoredRow, StoredSubscription } from './subscription';

export interface RenewalRunInput extends RenewalContext {
  runs: RunHistory;
  concurrency: number;
  trigger: RunTrigger;
  isPastDue: boolean;
  /** The next scheduled run after this one. */
  nextRunAt: Date;
  /** No renewal starts after this: the rest waits for the next run, rather than the host killing this one. */
  deadline: Date;
  /** Renew every active subscription, due or not (a manual "renew now"). */
  force?: boolean;
  /** Only this subscription (a manual "renew now" of one). */
  subscriptionId?: string;
}

export type RenewalRunResult = RunTotals & Pick<RunRecord, 'id' | 'startedAt'>;

/**
 * One renewal run: reads every stored subscription, renews those the policy says are due, records
 * each outcome on its row and the run's totals in the run history. A failing subscription never
 * stops the others; only a problem that would fail them all (no token) ends the run early.
 */
export async function runRenewal(input: RenewalRunInput): Promise<RenewalRunResult> {
  const { store, runs, log, policy } = input;
  const startedAt = input.now();
  let runId: string;
  try {
    runId = await runs.start({ trigger: input.trigger, startedAt, isPastDue: input.isPastDue });
  } catch (error) {
    const message = redact((error as Error).message);
    log.error(eventLine(`Renewal check could not run: the run history could not be written: ${message}`, { event: 'runNotStarted', error: message }));
    throw error;
  }
  const totals = { checked: 0, due: 0, renewed: 0, failed: 0, recreated: 0, expired: 0, skipped: 0, invalid: 0, deferred: 0 };
  let fatal: Error | undefined;

  const finish = async (): Promise<RenewalRunResult> => {
    const result: RunTotals = { finishedAt: input.now(), outcome: outcomeOf(totals, fatal), ...totals };
    if (fatal) result.error = redact(fatal.message);
    await runs.finish(runId, result);
    const sentence =
      `Renewal run ${result.outcome}: ${totals.checked} checked, ${totals.due} due, ${totals.renewed} renewed, ` +
      `${totals.failed} failed, ${totals.recreated} recreated, ${totals.expired} expired, ${totals.skipped} skipped, ` +
      `${totals.invalid} malformed, ${totals.deferred} deferred. ` +
      `Next check at ${input.nextRunAt.toISOString()}.`;
    const line = eventLine(sentence, {
      event: 'runFinished',
      runId,
      outcome: result.outcome,
      ...totals,
      nextRunAt: input.nextRunAt.toISOString(),
      ...(result.error ? { error: result.error } : {}),
    });
    if (result.outcome === 'succeeded') log.info(line);
    else log.error(line);
    return { id: runId, startedAt, ...result };
  };

  try {
    log.info(eventLine('Checking for expiring webhooks...', { event: 'runStarted', runId, trigger: input.trigger, isPastDue: input.isPastDue }));
    const due: { subscription: StoredSubscription; work: 'renew' | 'recreate' }[] = [];
    for await (const page of rowsFor(store, input.subscriptionId)) {
      for (const row of page) {
        if (!row.ok) {
          totals.invalid++;
          log.error(
            eventLine(`Skipping malformed subscription row ${row.partitionKey}/${row.rowKey}: ${row.problem}`, {
              event: 'rowMalformed',
              runId,
              partitionKey: row.partitionKey,
              rowKey: row.rowKey,
              problem: row.problem,
            }),
          );
          continue;
        }
        totals.checked++;
        const subscription = row.subscription;
        const work = workFor(subscription, input.nextRunAt, policy.marginHours, input.force);
        if (work) due.push({ subscription, work });
      }
    }
    totals.due = due.length;
    if (due.length === 0) {
      const horizon = new Date(input.nextRunAt.getTime() + policy.marginHours * 3_600_000).toISOString();
      const sentence =
        totals.checked === 0
          ? 'No webhooks need renewal (no subscriptions are stored)'
          : `No webhooks need renewal (every active one is valid beyond ${horizon})`;
      log.info(eventLine(sentence, { event: 'noneDue', runId, checked: totals.checked, horizon }));
      return await finish();
    }
    log.info(eventLine(`Found ${due.length} webhook(s) to renew`, { event: 'dueFound', runId, due: due.length }));

    // One token request before any lane starts: without a token, every renewal would fail the same way.
    try {
      await input.graph.ready();
    } catch (error) {
      fatal = error as Error;
      return await finish();
    }
    let started = 0;
    const outOfTime = () => input.now().getTime() >= input.deadline.getTime();
    await forEachConcurrently(
      due,
      input.concurrency,
      async ({ subscription, work }) => {
        started++;
        try {
          const outcome = await renewSubscription(subscription, runId, input, work);
          totals[outcome]++;
        } catch (error) {
          // A credential problem ends the run: every other renewal would fail the same way.
          if (error instanceof CredentialError) {
            fatal ??= error;
            return;
          }
          // Anything else (a table error) is this subscription's failure alone.
          totals.failed++;
          log.error(`Webhook ${work} failed (subscription ${subscription.id}, resource ${subscription.resource}): ${redact((error as Error).message)}`);
        }
      },
      () => fatal !== undefined || outOfTime(),
    );
    if (!fatal && started < due.length) {
      totals.deferred = due.length - started;
      log.warn(
        eventLine(
          `Run time budget used up: ${totals.deferred} due webhook(s) left for the next run (RENEWAL_RUN_BUDGET_MINUTES).`,
          { event: 'budgetExhausted', runId, deferred: totals.deferred },
        ),
      );
    }
    return await finish();
  } catch (error) {
    fatal ??= error as Error;
    try {
      await finish();
    } catch (recordError) {
      log.error(`Could not record the failed run ${runId}: ${redact((recordError as Error).message)}`);
    }
    throw fatal;
  }
}

/** Every row a page at a time, or the one row a manual run names (an unknown id is an error). */
async function* rowsFor(store: SubscriptionStore, subscriptionId: string | undefined): AsyncIterable<StoredRow[]> {
  if (subscriptionId === undefined) {
    yield* store.pages();
    return;
  }
  const subscription = await store.find(subscriptionId);
  if (!subscription) throw new Error(`No stored subscription has the id ${subscriptionId}: list them to see the ids.`);
  yield [{ ok: true, subscription }];
}

function outcomeOf(totals: Omit<RunTotals, 'finishedAt' | 'outcome'>, fatal: Error | undefined): RunTotals['outcome'] {
  if (fatal) return 'failed';
  if (totals.renewed + totals.recreated === 0 && (totals.failed > 0 || totals.deferred > 0)) return 'failed';
  if (totals.failed > 0 || totals.expired > 0 || totals.invalid > 0 || totals.deferred > 0) return 'partial';
  return 'succeeded';
}
