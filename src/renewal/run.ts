import { redact } from '../redact';
import { forEachWithinLimits } from './concurrently';
import { eventLine } from './events';
import { handOffRest } from './handOff';
import { mailboxOf } from './mailbox';
import type { Log, RenewalHandOff, RunHistory, SubscriptionRenewer, SubscriptionStore } from './ports';
import { isDue, type RenewalPolicy } from './policy';
import { renewSubscription } from './renewSubscription';
import type { RunRecord, RunTotals, RunTrigger } from './runRecord';
import type { StoredSubscription } from './subscription';

/**
 * Time kept after the budget for handing what is left to the queue (16 sends in flight: thousands of
 * messages take seconds); the budget's default leaves it inside host.json's functionTimeout.
 */
export const HAND_OFF_ALLOWANCE_MS = 5 * 60_000;

export interface RenewalRunInput {
  store: SubscriptionStore;
  graph: SubscriptionRenewer;
  runs: RunHistory;
  log: Log;
  policy: RenewalPolicy;
  concurrency: number;
  trigger: RunTrigger;
  isPastDue: boolean;
  /** The next scheduled run after this one. */
  nextRunAt: Date;
  /** Time between two scheduled runs, to tell which resources the schedule cannot keep alive. */
  intervalMs: number;
  /** The clock; called for each renewal, so a long run computes each expiration from its own start. */
  now: () => Date;
  /** No renewal starts after this: the rest goes to the queue (or waits for the next run), rather than the host killing this one. */
  deadline: Date;
  /** Renewals in flight at once per mailbox (Outlook's limit is 4); unset: only `concurrency` applies. */
  mailboxConcurrency?: number;
  /** Takes the due subscriptions this run has no time for; without it they wait for the next run. */
  handOff?: RenewalHandOff;
}

export type RenewalRunResult = RunTotals & Pick<RunRecord, 'id' | 'startedAt'>;

/**
 * One renewal run: reads the stored subscriptions that may be due (a server-side filter, so the cost
 * follows the number due, not the number stored), renews those the policy says are due, records
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
  const totals = { checked: 0, due: 0, renewed: 0, failed: 0, expired: 0, invalid: 0, deferred: 0, queued: 0 };
  let fatal: Error | undefined;

  const finish = async (): Promise<RenewalRunResult> => {
    const result: RunTotals = { finishedAt: input.now(), outcome: outcomeOf(totals, fatal), ...totals };
    if (fatal) result.error = redact(fatal.message);
    await runs.finish(runId, result);
    const sentence =
      `Renewal run ${result.outcome}: ${totals.checked} checked, ${totals.due} due, ${totals.renewed} renewed, ` +
      `${totals.failed} failed, ${totals.expired} expired, ${totals.invalid} malformed, ${totals.deferred} deferred, ${totals.queued} queued. ` +
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
    const due: StoredSubscription[] = [];
    const horizon = new Date(input.nextRunAt.getTime() + policy.marginHours * 3_600_000);
    for await (const page of store.duePages(horizon)) {
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
        if (subscription.state === 'expired') continue;
        if (isDue(subscription.expirationDateTime, input.nextRunAt, policy.marginHours)) due.push(subscription);
      }
    }
    totals.due = due.length;
    if (due.length === 0) {
      const sentence = `No webhooks need renewal (every active one is valid beyond ${horizon.toISOString()})`;
      log.info(eventLine(sentence, { event: 'noneDue', runId, checked: totals.checked, horizon: horizon.toISOString() }));
      return await finish();
    }
    log.info(eventLine(`Found ${due.length} webhook(s) to renew`, { event: 'dueFound', runId, due: due.length }));

    const outOfTime = () => input.now().getTime() >= input.deadline.getTime();
    // Items start in mailbox order, not table order: what is left is whatever was not started.
    const notStarted = new Set(due);
    await forEachWithinLimits(
      due,
      {
        limit: input.concurrency,
        perKey: input.mailboxConcurrency ?? input.concurrency,
        keyOf: (subscription) => mailboxOf(subscription.resource),
      },
      async (subscription) => {
        notStarted.delete(subscription);
        try {
          const outcome = await renewSubscription(subscription, runId, input);
          totals[outcome]++;
        } catch (error) {
          // Only a credential problem gets here: every other renewal would fail the same way.
          fatal ??= error as Error;
        }
      },
      () => fatal !== undefined || outOfTime(),
    );
    if (!fatal && notStarted.size > 0) await handOffRest([...notStarted], runId, totals, input);
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

/** Subscriptions handed to the queue are not counted against the run: the queue renews them. */
function outcomeOf(totals: Omit<RunTotals, 'finishedAt' | 'outcome'>, fatal: Error | undefined): RunTotals['outcome'] {
  if (fatal) return 'failed';
  if (totals.renewed === 0 && (totals.failed > 0 || totals.deferred > 0)) return 'failed';
  if (totals.failed > 0 || totals.expired > 0 || totals.invalid > 0 || totals.deferred > 0) return 'partial';
  return 'succeeded';
}
