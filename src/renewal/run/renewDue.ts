import { forEachWithinLimits } from '../../lib/concurrently';
import { redact } from '../../lib/redact';
import { ConsentMissingError, CredentialError } from '../errors';
import { eventLine } from '../events';
import { leaseMsFor, LeasesAhead } from '../lease';
import { mailboxOf } from '../policy/mailbox';
import type { StoredSubscription } from '../subscription';
import { customerTenantOf, graphOf, type RenewalContext, tenantOf } from './renewalContext';
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
 * Renews (or recreates) the due rows, tenant by tenant at once, each tenant in lanes of its own
 * (`concurrency`, and per mailbox `mailboxConcurrency`): a tenant Graph throttles, or one that gives
 * no token, holds up only its own rows. Stops starting renewals when the budget is used up or the
 * home tenant's credential fails (set as `run.fatal`: every renewal would fail the same way). A
 * customer tenant whose credential fails stops alone: its rows count as failed, the tenant's health
 * says why, the other tenants go on. Resolves with the rows never started, their leases given back,
 * in table order.
 */
export async function renewDue(
  selection: DueSelection,
  input: LanesInput,
  run: RunState,
): Promise<StoredSubscription[]> {
  const tenants = new Map<string | undefined, StoredSubscription[]>();
  for (const row of selection.due) {
    const tenantId = customerTenantOf(input, row);
    const rows = tenants.get(tenantId);
    if (rows) rows.push(row);
    else tenants.set(tenantId, [row]);
  }
  const left = await Promise.all(
    [...tenants].map(([tenantId, rows]) => renewTenant(tenantId, rows, selection, input, run)),
  );
  const notStarted = new Set(left.flat());
  return selection.due.filter((row) => notStarted.has(row));
}

/** One tenant's due rows in its own lanes; resolves with those never started (none when the tenant failed). */
async function renewTenant(
  tenantId: string | undefined,
  due: StoredSubscription[],
  { work }: DueSelection,
  input: LanesInput,
  run: RunState,
): Promise<StoredSubscription[]> {
  const { store, log } = input;
  const tenant = tenantOf(input, { tenantId });
  const outOfTime = () => input.now().getTime() >= input.deadline.getTime();
  let tenantFailed: CredentialError | undefined;
  // Renewals the tenant's credential stopped (none counted as an outcome).
  let stopped = 0;
  // A customer tenant's token is asked for once before its lanes start (the home one, by the run).
  if (tenantId !== undefined) {
    tenantFailed = await graphOf(input, { tenantId })
      .ready()
      .then(
        () => undefined,
        (error: unknown) => (error instanceof CredentialError ? error : undefined),
      );
  }
  const tokenRefused = tenantFailed !== undefined;
  // Items start in mailbox order, not table order: what is left is whatever was not started.
  const notStarted = new Set(tenantFailed ? [] : due);
  // A short-lived row is never leased for longer than it can wait behind a worker killed halfway.
  const leases = new LeasesAhead(
    store,
    [...notStarted],
    input.leaseMs,
    input.now,
    (row) => notStarted.has(row),
    (row) => leaseMsFor(row, input) < input.leaseMs,
  );
  await forEachWithinLimits(
    [...notStarted],
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
        if (error instanceof CredentialError) {
          // The home tenant's credential is the managed identity every tenant's token starts from: the run ends.
          if (tenantId === undefined) run.fatal ??= error;
          else tenantFailed ??= error;
          stopped++;
          return;
        }
        // Anything else (a table error) is this subscription's failure alone.
        run.totals.failed++;
        log.error(
          `Webhook ${what} failed (subscription ${subscription.id}, resource ${subscription.resource}${tenantId === undefined ? '' : `, tenant ${tenant}`}): ${redact((error as Error).message)}`,
        );
      }
    },
    () => run.fatal !== undefined || tenantFailed !== undefined || outOfTime(),
  );
  // Rows leased ahead and never started go back first: the queue, or the next run, must find them free.
  await leases
    .releaseUnstarted()
    .catch((error: unknown) =>
      log.error(
        `Could not give back the leases of ${notStarted.size} unstarted row(s); they free themselves in ${Math.round(input.leaseMs / 60_000)} minutes: ${redact((error as Error).message)}`,
      ),
    );
  if (tenantId === undefined) return [...notStarted];
  if (!tenantFailed) {
    await input.tenantHealth?.recordHealth(tenantId, input.now()).catch(() => undefined);
    return [...notStarted];
  }
  // Every row of the tenant not renewed would fail the same way in the queue: they wait for the next run.
  const failed = tokenRefused ? due.length : notStarted.size + stopped;
  run.totals.failed += failed;
  const message = redact(tenantFailed.message);
  log.error(
    eventLine(
      `Tenant ${tenantId} gave no token: ${failed} of its ${due.length} due webhook(s) not renewed. ${message}`,
      {
        event: 'tenantUnavailable',
        tenantId,
        runId: run.id,
        due: due.length,
        failed,
        consentMissing: tenantFailed instanceof ConsentMissingError,
        error: message,
      },
    ),
  );
  // Only Entra's refusal for want of consent is the tenant's admin's to fix; a timeout or an outage is not.
  await input.tenantHealth
    ?.recordHealth(tenantId, input.now(), { message, consentMissing: tenantFailed instanceof ConsentMissingError })
    .catch(() => undefined);
  return [];
}
