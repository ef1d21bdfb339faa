import { CredentialError, GraphRequestError } from '../graph/errors';
import { forEachConcurrently } from './concurrently';
import type { Log, RunHistory, SubscriptionRenewer, SubscriptionStore } from './ports';
import { isDue, keepAliveProblem, renewalTarget, type RenewalPolicy } from './policy';
import type { RunRecord, RunTotals, RunTrigger } from './runRecord';
import type { RenewalFailure, StoredSubscription } from './subscription';

export interface RenewalRunInput {
  store: SubscriptionStore;
  graph: SubscriptionRenewer;
  runs: RunHistory;
  log: Log;
  policy: RenewalPolicy;
  concurrency: number;
  trigger: RunTrigger;
  isPastDue: boolean;
  /** The next scheduled run after this one, and the one after it (for the interval between runs). */
  nextRunAt: Date;
  intervalMs: number;
  /** The clock; called for each renewal, so a long run computes each expiration from its own start. */
  now: () => Date;
}

export type RenewalRunResult = RunTotals & Pick<RunRecord, 'id' | 'startedAt'>;

/**
 * One renewal run: reads every stored subscription, renews those the policy says are due, records
 * each outcome on its row and the run's totals in the run history. A failing subscription never
 * stops the others; only a problem that would fail them all (no token) ends the run early.
 */
export async function runRenewal(input: RenewalRunInput): Promise<RenewalRunResult> {
  const { store, graph, runs, log, policy } = input;
  const startedAt = input.now();
  const id = await runs.start({ trigger: input.trigger, startedAt, isPastDue: input.isPastDue });
  const totals = { checked: 0, due: 0, renewed: 0, failed: 0, expired: 0, invalid: 0 };
  let fatal: Error | undefined;

  const finish = async (): Promise<RenewalRunResult> => {
    const result: RunTotals = { finishedAt: input.now(), outcome: outcomeOf(totals, fatal), ...totals };
    if (fatal) result.error = fatal.message;
    await runs.finish(id, result);
    return { id, startedAt, ...result };
  };

  try {
    log.info('Checking for expiring webhooks...');
    const due: StoredSubscription[] = [];
    for await (const page of store.pages()) {
      for (const row of page) {
        if (!row.ok) {
          totals.invalid++;
          log.error(`Skipping malformed subscription row ${row.partitionKey}/${row.rowKey}: ${row.problem}`);
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
      const horizon = new Date(input.nextRunAt.getTime() + policy.marginHours * 3_600_000).toISOString();
      log.info(
        totals.checked === 0
          ? 'No webhooks need renewal (no subscriptions are stored)'
          : `No webhooks need renewal (all ${totals.checked} valid beyond ${horizon})`,
      );
      return await finish();
    }
    log.info(`Found ${due.length} webhook(s) to renew`);

    await forEachConcurrently(
      due,
      input.concurrency,
      async (subscription) => {
        try {
          const outcome = await renewOne(subscription, input);
          totals[outcome]++;
        } catch (error) {
          // Only a credential problem gets here: every other renewal would fail the same way.
          fatal ??= error as Error;
        }
      },
      () => fatal !== undefined,
    );
    if (fatal) log.error(`Renewal run stopped: ${fatal.message}`);
    return await finish();
  } catch (error) {
    fatal ??= error as Error;
    log.error(`Renewal run failed: ${fatal.message}`);
    try {
      await finish();
    } catch (recordError) {
      log.error(`Could not record the failed run: ${(recordError as Error).message}`);
    }
    throw fatal;
  }
}

type RenewalOutcome = 'renewed' | 'failed' | 'expired';

async function renewOne(subscription: StoredSubscription, input: RenewalRunInput): Promise<RenewalOutcome> {
  const { store, graph, log, policy } = input;
  const label = `subscription ${subscription.id}, resource ${subscription.resource}`;
  const now = input.now();
  const target = renewalTarget(subscription.resource, now, policy.lifetimeHours);
  if (!target.lifetime.known) {
    log.warn(
      `Unknown resource type for ${label}: assuming Graph's most conservative maximum lifetime (${target.lifetime.maxMinutes} minutes).`,
    );
  }
  const problem = keepAliveProblem(subscription.resource, input.intervalMs, policy.lifetimeHours);
  if (problem) log.warn(`Webhook will expire before the next run (${label}): ${problem}`);

  let renewed: { expirationDateTime: Date };
  try {
    renewed = await graph.renew(subscription.id, target.expiration);
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    const failure = toFailure(error, input.now());
    if (failure.statusCode === 404) {
      log.error(
        `Webhook no longer exists on Graph (${label}, status 404, code ${failure.code}): it expired or was deleted and must be recreated; notifications are being lost.`,
      );
      await recordSafely(() => store.markExpired(subscription, failure), label, log);
      return 'expired';
    }
    log.error(`Webhook renewal failed (${label}, status ${failure.statusCode}, code ${failure.code}): ${failure.message}`);
    await recordSafely(() => store.recordFailure(subscription, failure), label, log);
    return 'failed';
  }

  try {
    const saved = await store.saveRenewal(subscription, renewed.expirationDateTime, input.now());
    const kept = saved === 'newer-kept' ? ' (a concurrent run had already stored a later one)' : '';
    log.info(`Webhook renewed successfully. New expiration: ${renewed.expirationDateTime.toISOString()} (${label})${kept}`);
    return 'renewed';
  } catch (error) {
    // Graph has the new expiration; the table keeps the old one, which only makes the next run renew early.
    log.error(
      `Webhook renewed on Graph until ${renewed.expirationDateTime.toISOString()} but the table could not be updated (${label}): ${(error as Error).message}`,
    );
    return 'failed';
  }
}

function toFailure(error: unknown, at: Date): RenewalFailure {
  if (error instanceof GraphRequestError) {
    return { at, statusCode: error.statusCode, code: error.code, message: error.message };
  }
  return { at, statusCode: 0, code: 'Unexpected', message: error instanceof Error ? error.message : String(error) };
}

async function recordSafely(write: () => Promise<void>, label: string, log: Log): Promise<void> {
  try {
    await write();
  } catch (error) {
    log.error(`Could not record the failure on the table (${label}): ${(error as Error).message}`);
  }
}

function outcomeOf(totals: Omit<RunTotals, 'finishedAt' | 'outcome'>, fatal: Error | undefined): RunTotals['outcome'] {
  if (fatal) return 'failed';
  if (totals.failed > 0 && totals.renewed === 0) return 'failed';
  if (totals.failed > 0 || totals.expired > 0 || totals.invalid > 0) return 'partial';
  return 'succeeded';
}
