import { forEachWithinLimits } from '../../lib/concurrently';
import { redact } from '../../lib/redact';
import { CredentialError } from '../errors';
import { leaseMsFor, LeasesAhead } from '../lease';
import { mailboxOf } from '../policy/mailbox';
import type { StoredSubscription } from '../subscription';
import type { RenewalContext } from './renewalContext';
import { renewSubscription } from './renewSubscription';
import type { RunState } from './runState';
import type { DueSelection } from './selectDue';

/** What renewing the due rows needs besides a renewal's context: the lanes and the time budget. */
export interface LanesInput extends RenewalContext {
  concurrency: number;
  /** Renewals in flight at once per mailbox (Outlook's limit is 4); unset: only `concurrency` applies. */
  mailboxConcurrency?: number;
  /** No renewal starts after this. */
  deadline: Date;
}

/**
 * Renews (or recreates) the due rows in lanes, mailbox by mailbox, their leases taken ahead in
 * batches, until all are started, the budget is used up or a credential problem stops the run (set
 * as `run.fatal`: every other renewal would fail the same way). Counts each outcome on `run`.
 * Resolves with the rows never started, their leases given back, in table order.
 */
export async function renewDue(
  selection: DueSelection,
  input: LanesInput,
  run: RunState,
): Promise<StoredSubscription[]> {
  const { store, log } = input;
  const { due, work } = selection;
  const outOfTime = () => input.now().getTime() >= input.deadline.getTime();
  // Items start in mailbox order, not table order: what is left is whatever was not started.
  const notStarted = new Set(due);
  // A short-lived row is never leased for longer than it can wait behind a worker killed halfway.
  const leases = new LeasesAhead(
    store,
    due,
    input.leaseMs,
    input.now,
    (row) => notStarted.has(row),
    (row) => leaseMsFor(row, input) < input.leaseMs,
  );
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
        const outcome = await renewSubscription(row, run.id, input, what, leased ? row : undefined);
        run.totals[outcome]++;
      } catch (error) {
        // A credential problem ends the run: every other renewal would fail the same way.
        if (error instanceof CredentialError) {
          run.fatal ??= error;
          return;
        }
        // Anything else (a table error) is this subscription's failure alone.
        run.totals.failed++;
        log.error(
          `Webhook ${what} failed (subscription ${subscription.id}, resource ${subscription.resource}): ${redact((error as Error).message)}`,
        );
      }
    },
    () => run.fatal !== undefined || outOfTime(),
  );
  // Rows leased ahead and never started go back first: the queue, or the next run, must find them free.
  await leases
    .releaseUnstarted()
    .catch((error: unknown) =>
      log.error(
        `Could not give back the leases of ${notStarted.size} unstarted row(s); they free themselves in ${Math.round(input.leaseMs / 60_000)} minutes: ${redact((error as Error).message)}`,
      ),
    );
  return [...notStarted];
}
