import { CredentialError } from '../errors';
import { redact } from '../../lib/redact';
import { forEachWithinLimits } from '../../lib/concurrently';
import { eventLine } from '../events';
import { handOffRest } from './handOff';
import { LeasesAhead, leaseMsFor } from '../lease';
import { mailboxOf } from '../policy/mailbox';
import type { RenewalHandOff, RunHistory, SubscriptionStore } from '../ports';
import { horizonFor, inScope, type RunScope, cadenceFor } from '../policy/cadence';
import { workFor, type Work } from '../policy/due';
import { renewSubscription } from './renewSubscription';
import type { RenewalContext } from './renewalContext';
import type { RunRecord, RunTotals, RunTrigger } from '../runRecord';
import type { StoredRow, StoredSubscription } from '../subscription';

/**
 * Time kept after the budget for handing what is left to the queue (16 sends in flight: thousands of
 * messages take seconds); the budget's default leaves it inside host.json's functionTimeout.
 */
export const HAND_OFF_ALLOWANCE_MS = 5 * 60_000;

export interface RenewalRunInput extends RenewalContext {
  runs: RunHistory;
  concurrency: number;
  trigger: RunTrigger;
  isPastDue: boolean;
  /** The next scheduled run of this run's timer. */
  nextRunAt: Date;
  /**
   * Which subscriptions this run works on: the daily timer's (`daily`), the 10-minute timer's
   * (`short`: those whose maximum lifetime cannot span a day plus the margin), or all (`any`: a manual run).
   */
  scope: RunScope;
  /** No renewal starts after this: the rest goes to the queue (or waits for the next run), rather than the host killing this one. */
  deadline: Date;
  /** Renew every active subscription, due or not (a manual "renew now"). */
  force?: boolean;
  /** Only this subscription (a manual "renew now" of one). */
  subscriptionId?: string;
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
  const { store, runs, log } = input;
  const startedAt = input.now();
  let runId: string;
  try {
    runId = await runs.start({ trigger: input.trigger, startedAt, isPastDue: input.isPastDue });
  } catch (error) {
    const message = redact((error as Error).message);
    log.error(eventLine(`Renewal check could not run: the run history could not be written: ${message}`, { event: 'runNotStarted', error: message }));
    throw error;
  }
  const totals = { checked: 0, due: 0, renewed: 0, failed: 0, recreated: 0, expired: 0, skipped: 0, invalid: 0, deferred: 0, queued: 0 };
  let fatal: Error | undefined;

  let finishing = false;
  const finish = async (): Promise<RenewalRunResult> => {
    finishing = true;
    const result: RunTotals = { finishedAt: input.now(), outcome: outcomeOf(totals, fatal), ...totals };
    if (fatal) result.error = redact(fatal.message);
    // The record is written before the line is logged, but a record that cannot be written (the table
    // service down) must not take the run's own account with it: the line says what was done either way.
    const unrecorded = await runs.finish(runId, result).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const sentence =
      `Renewal run ${result.outcome}: ${totals.checked} checked, ${totals.due} due, ${totals.renewed} renewed, ` +
      `${totals.failed} failed, ${totals.recreated} recreated, ${totals.expired} expired, ${totals.skipped} skipped, ` +
      `${totals.invalid} malformed, ${totals.deferred} deferred, ${totals.queued} queued. ` +
      `Next check at ${input.nextRunAt.toISOString()}.` +
      (unrecorded ? ` The run could not be recorded in the run history (the status shows it as running): ${redact(unrecorded.message)}` : '');
    const line = eventLine(sentence, {
      event: 'runFinished',
      runId,
      outcome: result.outcome,
      ...totals,
      nextRunAt: input.nextRunAt.toISOString(),
      ...(result.error ? { error: result.error } : {}),
      ...(unrecorded ? { recordError: redact(unrecorded.message) } : {}),
    });
    if (result.outcome === 'succeeded' && !unrecorded) log.info(line);
    else log.error(line);
    if (unrecorded) throw unrecorded;
    return { id: runId, startedAt, ...result };
  };

  try {
    log.info(eventLine('Checking for expiring webhooks...', { event: 'runStarted', runId, trigger: input.trigger, isPastDue: input.isPastDue }));
    // The token is asked for while the table is read (it is only awaited when something is due).
    const tokenReady = input.graph.ready().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const due: StoredSubscription[] = [];
    const work = new Map<StoredSubscription, Exclude<Work, undefined>>();
    const seen = new Set<string>();
    // Malformed rows are named on the index for the status (best effort: the census finds them anyway).
    const flagged: Promise<unknown>[] = [];
    // What this run's selection must cover: its own timer's horizon.
    const horizon = horizonFor(input.scope === 'short' ? 'short' : 'daily', input.schedules);
    const take = (page: StoredRow[]) => {
      for (const row of page) {
        // The selections may return one row twice (an expired row with a hand-typed date): count it once.
        const key = `${row.ok ? row.subscription.partitionKey : row.partitionKey}\u0000${row.ok ? row.subscription.id : row.rowKey}`;
        if (seen.has(key)) continue;
        seen.add(key);
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
          flagged.push(store.flagMalformed(row, input.now()).catch(() => undefined));
          continue;
        }
        const subscription = row.subscription;
        // Each timer keeps its own subscriptions alive (a selection may return the other's): the
        // rules in force now say which, and against which horizon it is due.
        const cadence = cadenceFor(subscription, input.rules);
        if (input.subscriptionId === undefined && !inScope(input.scope, cadence, subscription.expirationDateTime, input.schedules)) continue;
        totals.checked++;
        const needed = workFor(subscription, horizonFor(cadence, input.schedules), input.force);
        if (!needed) continue;
        due.push(subscription);
        work.set(subscription, needed);
      }
    };
    // The selections are read at once, each page handled as it comes: none waits for another.
    await Promise.all(sourcesFor(store, input, horizon).map(async (source) => {
      for await (const page of source) take(page);
    }));
    await Promise.all(flagged);
    totals.due = due.length;
    if (due.length === 0) {
      const sentence = `No webhooks need renewal (every active one is valid beyond ${horizon.toISOString()})`;
      log.info(eventLine(sentence, { event: 'noneDue', runId, checked: totals.checked, horizon: horizon.toISOString() }));
      return await finish();
    }
    log.info(eventLine(`Found ${due.length} webhook(s) to renew`, { event: 'dueFound', runId, due: due.length }));

    // One token request before any lane starts: without a token, every renewal would fail the same way.
    const noToken = await tokenReady;
    if (noToken) {
      fatal = noToken;
      return await finish();
    }

    const outOfTime = () => input.now().getTime() >= input.deadline.getTime();
    // Items start in mailbox order, not table order: what is left is whatever was not started.
    const notStarted = new Set(due);
    // A short-lived row is never leased for longer than it can wait behind a worker killed halfway.
    const leases = new LeasesAhead(store, due, input.leaseMs, input.now, (row) => notStarted.has(row), (row) => leaseMsFor(row, input) < input.leaseMs);
    await forEachWithinLimits(
      due,
      {
        limit: input.concurrency,
        perKey: input.mailboxConcurrency ?? input.concurrency,
        keyOf: (subscription) => mailboxOf(subscription.resource),
      },
      async (subscription) => {
        notStarted.delete(subscription);
        const what = work.get(subscription)!;
        try {
          const { row, leased } = await leases.take(subscription);
          const outcome = await renewSubscription(row, runId, input, what, leased ? row : undefined);
          totals[outcome]++;
        } catch (error) {
          // A credential problem ends the run: every other renewal would fail the same way.
          if (error instanceof CredentialError) {
            fatal ??= error;
            return;
          }
          // Anything else (a table error) is this subscription's failure alone.
          totals.failed++;
          log.error(`Webhook ${what} failed (subscription ${subscription.id}, resource ${subscription.resource}): ${redact((error as Error).message)}`);
        }
      },
      () => fatal !== undefined || outOfTime(),
    );
    // Rows leased ahead and never started go back first: the queue, or the next run, must find them free.
    await leases.releaseUnstarted().catch((error: unknown) =>
      log.error(`Could not give back the leases of ${notStarted.size} unstarted row(s); they free themselves in ${Math.round(input.leaseMs / 60_000)} minutes: ${redact((error as Error).message)}`),
    );
    if (!fatal && notStarted.size > 0) await handOffRest([...notStarted], runId, totals, input);
    return await finish();
  } catch (error) {
    fatal ??= error as Error;
    // A run whose record could not be written has said so already; any other failure is recorded now.
    if (!finishing) {
      try {
        await finish();
      } catch (recordError) {
        log.error(`Could not record the failed run ${runId}: ${redact((recordError as Error).message)}`);
      }
    }
    throw fatal;
  }
}

/**
 * The rows a run looks at: those that may be due (a server-side filter) and those awaiting a
 * recreation or a lifecycle action whatever their expiration; every row for a forced run; the one
 * row a manual run names (an unknown id is an error).
 */
function sourcesFor(store: SubscriptionStore, input: RenewalRunInput, horizon: Date): AsyncIterable<StoredRow[]>[] {
  if (input.subscriptionId !== undefined) return [only(store, input.subscriptionId)];
  if (input.force) return [store.pages()];
  return input.scope === 'short' ? store.shortLivedSelections(horizon) : store.dueSelections(horizon);
}

async function* only(store: SubscriptionStore, id: string): AsyncIterable<StoredRow[]> {
  const subscription = await store.find(id);
  if (!subscription) throw new Error(`No stored subscription has the id ${id}: list them to see the ids.`);
  yield [{ ok: true, subscription }];
}

/** Subscriptions handed to the queue are not counted against the run: the queue renews them. */
function outcomeOf(totals: Omit<RunTotals, 'finishedAt' | 'outcome'>, fatal: Error | undefined): RunTotals['outcome'] {
  if (fatal) return 'failed';
  if (totals.renewed + totals.recreated === 0 && (totals.failed > 0 || totals.deferred > 0)) return 'failed';
  if (totals.failed > 0 || totals.expired > 0 || totals.invalid > 0 || totals.deferred > 0) return 'partial';
  return 'succeeded';
}
