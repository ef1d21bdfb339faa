import { ALL_TENANTS, eventLine } from '../events';
import { cadenceFor, horizonFor, inScope, type RunScope } from '../policy/cadence';
import { workFor } from '../policy/due';
import type { SubscriptionStore } from '../ports';
import type { StoredRow, StoredSubscription } from '../subscription';
import type { RenewalContext } from './renewalContext';
import type { RunState } from './runState';

/** What selecting the due rows needs: the store, the rules and schedules in force, and which rows the run is for. */
export interface SelectionInput extends Pick<RenewalContext, 'store' | 'log' | 'now' | 'rules' | 'schedules'> {
  scope: RunScope;
  force?: boolean;
  subscriptionId?: string;
  /** Only the rows of this tenant (undefined: the home tenant's): a manual run for one tenant. */
  onlyTenant?: { tenantId: string | undefined };
}

/** The rows a run works on, in table order, each with what it needs (renew or recreate). */
export interface DueSelection {
  due: StoredSubscription[];
  work: Map<StoredSubscription, 'renew' | 'recreate'>;
  /** The horizon the run's own timer selects against. */
  horizon: Date;
}

/**
 * Reads the rows that may be due, each selection at once and each page as it comes, and keeps those
 * the policy says are due for this run's timer. Counts the rows checked and the malformed ones on
 * `run` (a malformed row is named in the log and on the index, best effort: the census finds it anyway).
 */
export async function selectDue(input: SelectionInput, run: RunState): Promise<DueSelection> {
  const { store, log } = input;
  const due: StoredSubscription[] = [];
  const work = new Map<StoredSubscription, 'renew' | 'recreate'>();
  const seen = new Set<string>();
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
        // Counted as `invalid`, the name the run history and the runFinished line have always used.
        run.totals.invalid++;
        log.error(
          eventLine(`Skipping malformed subscription row ${row.partitionKey}/${row.rowKey}: ${row.problem}`, {
            event: 'rowMalformed',
            tenantId: ALL_TENANTS,
            runId: run.id,
            partitionKey: row.partitionKey,
            rowKey: row.rowKey,
            problem: row.problem,
          }),
        );
        flagged.push(store.flagMalformed(row, input.now()).catch(() => undefined));
        continue;
      }
      const subscription = row.subscription;
      if (input.onlyTenant && subscription.tenantId !== input.onlyTenant.tenantId) continue;
      // Each timer keeps its own subscriptions alive (a selection may return the other's): the
      // rules in force now say which, and against which horizon it is due.
      const cadence = cadenceFor(subscription, input.rules);
      if (
        input.subscriptionId === undefined &&
        !inScope(input.scope, cadence, subscription.expirationDateTime, input.schedules)
      )
        continue;
      run.totals.checked++;
      const needed = workFor(subscription, horizonFor(cadence, input.schedules), input.force);
      if (!needed) continue;
      due.push(subscription);
      work.set(subscription, needed);
    }
  };
  await Promise.all(
    sourcesFor(store, input, horizon).map(async (source) => {
      for await (const page of source) take(page);
    }),
  );
  await Promise.all(flagged);
  run.totals.due = due.length;
  return { due, work, horizon };
}

/**
 * The rows a run looks at: those that may be due (a server-side filter) and those awaiting a
 * recreation or a lifecycle action whatever their expiration; every row for a forced run; the one
 * row a manual run names (an unknown id is an error).
 */
function sourcesFor(store: SubscriptionStore, input: SelectionInput, horizon: Date): AsyncIterable<StoredRow[]>[] {
  if (input.subscriptionId !== undefined) return [only(store, input.subscriptionId)];
  if (input.force) return [store.pages()];
  return input.scope === 'short' ? store.shortLivedSelections(horizon) : store.dueSelections(horizon);
}

async function* only(store: SubscriptionStore, id: string): AsyncIterable<StoredRow[]> {
  const subscription = await store.find(id);
  if (!subscription) throw new Error(`No stored subscription has the id ${id}: list them to see the ids.`);
  yield [{ ok: true, subscription }];
}
