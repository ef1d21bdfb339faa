import { redact } from '../../lib/redact';
import { ALL_TENANTS, eventLine } from '../events';
import type { RunScope } from '../policy/cadence';
import type { RenewalHandOff, RunHistory } from '../ports';
import type { RunRecord, RunTotals, RunTrigger } from '../runRecord';
import { finishRun } from './finishRun';
import { handOffRest } from './handOff';
import type { RenewalContext } from './renewalContext';
import { renewDue } from './renewDue';
import { noCounts, type RunState } from './runState';
import { selectDue } from './selectDue';

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
  /** Only this tenant's subscriptions (a manual "renew now" of one tenant). */
  onlyTenant?: { tenantId: string | undefined };
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
 * The steps, in order: start (the run history), select the due rows, renew them, hand off what the
 * budget left, finish (the record and the runFinished line); each is given the run's state.
 */
export async function runRenewal(input: RenewalRunInput): Promise<RenewalRunResult> {
  const { runs, log } = input;
  const startedAt = input.now();
  let id: string;
  try {
    id = await runs.start({ trigger: input.trigger, startedAt, isPastDue: input.isPastDue });
  } catch (error) {
    const message = redact((error as Error).message);
    log.error(
      eventLine(`Renewal check could not run: the run history could not be written: ${message}`, {
        event: 'runNotStarted',
        tenantId: ALL_TENANTS,
        error: message,
      }),
    );
    throw error;
  }
  const run: RunState = { id, startedAt, totals: noCounts(), finishing: false };

  try {
    log.info(
      eventLine('Checking for expiring webhooks...', {
        event: 'runStarted',
        tenantId: ALL_TENANTS,
        runId: id,
        trigger: input.trigger,
        isPastDue: input.isPastDue,
      }),
    );
    // The home tenant's token is asked for while the table is read (it is only awaited when something
    // is due): it comes from the managed identity, which every customer tenant's token starts from too.
    const tokenReady = input.graphs
      .forTenant(undefined)
      .ready()
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    const selection = await selectDue(input, run);
    if (selection.due.length === 0) {
      const sentence = `No webhooks need renewal (every active one is valid beyond ${selection.horizon.toISOString()})`;
      log.info(
        eventLine(sentence, {
          event: 'noneDue',
          tenantId: ALL_TENANTS,
          runId: id,
          checked: run.totals.checked,
          horizon: selection.horizon.toISOString(),
        }),
      );
      return await finishRun(input, run);
    }
    log.info(
      eventLine(`Found ${selection.due.length} webhook(s) to renew`, {
        event: 'dueFound',
        tenantId: ALL_TENANTS,
        runId: id,
        due: selection.due.length,
      }),
    );

    // One token request before any lane starts: without a token, every renewal would fail the same way.
    const noToken = await tokenReady;
    if (noToken) {
      run.fatal = noToken;
      return await finishRun(input, run);
    }

    const notStarted = await renewDue(selection, input, run);
    if (!run.fatal && notStarted.length > 0) await handOffRest(notStarted, id, run.totals, input);
    return await finishRun(input, run);
  } catch (error) {
    run.fatal ??= error as Error;
    // A run whose record could not be written has said so already; any other failure is recorded now.
    if (!run.finishing) {
      try {
        await finishRun(input, run);
      } catch (recordError) {
        log.error(`Could not record the failed run ${id}: ${redact((recordError as Error).message)}`);
      }
    }
    throw run.fatal;
  }
}
