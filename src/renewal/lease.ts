// The lease: what stops two writers (a timer run, the queue, a manual run, a lifecycle event) from working
// on one row at once. Here are its rules: how long it lasts, when the Graph work under it must stop, who
// gets a shorter one (SHORT_LIVED_LEASE_MS, with the 10-minute timer in policy/cadence.ts), whether a row
// is leased, how one worker leases a row, and how a run takes leases ahead in batches. How the table
// takes one (a conditional write under the row's ETag) is the store's business (storage/subscriptionLeases.ts).
import type { CredentialError } from './errors';
import { cadenceFor, type RenewalSubject, SHORT_LIVED_LEASE_MS } from './policy/cadence';
import type { GraphRules } from './policy/graphRules';
import type { SubscriptionStore } from './ports';
import { heldByAnother, type StoredSubscription } from './subscription';

const MINUTE_MS = 60_000;
// A table transaction holds at most 100 rows, all of one partition.
const CHUNK = 100;

/**
 * How long a run or request holds a row while it renews or recreates it: longer than the worst
 * Graph call with its retries (every attempt timing out, plus 429 waits of at most the longest
 * Retry-After per attempt (graph/retry.ts), and all of it twice when a 401 is tried again), so a
 * second worker never works on the same row at once; at least 10 minutes. A worker killed halfway
 * delays the row until then.
 */
export function leaseMs(graph: { timeoutMs: number; maxAttempts: number }, longestRetryAfterMs: number): number {
  return Math.max(10 * MINUTE_MS, 2 * graph.maxAttempts * (graph.timeoutMs + longestRetryAfterMs));
}

/** Time kept at the end of a lease for recording the outcome on the row, after the last Graph call. */
export const RECORD_WITHIN_LEASE_MS = 60_000;

/**
 * When the Graph work on a leased row must stop (its retries included): a minute before the lease
 * ends, so the outcome is on the row before another worker may take it. The lease is sized for the
 * worst case the settings allow, but waits this process cannot count (the throttle gate held by other
 * renewals, a 401 or a 400 asked again) must not run past it either.
 */
export function graphDeadline(leaseUntil: Date | undefined, now: Date, leaseMs: number): Date {
  return new Date((leaseUntil?.getTime() ?? now.getTime() + leaseMs) - RECORD_WITHIN_LEASE_MS);
}

/** Whether the 10-minute timer, not the daily one, renews it from now on (the row's `shortLived` mark). */
export function isShortLived(subscription: RenewalSubject, context: { rules: GraphRules }): boolean {
  return cadenceFor(subscription, context.rules) !== 'daily';
}

/**
 * How long to lease `subscription`: a short-lived one for at most 5 minutes, since a worker killed
 * while holding it delays it that long and presence lives 60 minutes.
 */
export function leaseMsFor(subscription: RenewalSubject, context: { rules: GraphRules; leaseMs: number }): number {
  return isShortLived(subscription, context) ? Math.min(context.leaseMs, SHORT_LIVED_LEASE_MS) : context.leaseMs;
}

/** True while another worker holds the row's lease (the rule itself is in subscription.ts, beside the type, so the store applies the same one). */
export function isLeased(subscription: StoredSubscription, now: Date): boolean {
  return heldByAnother(subscription, now);
}

/**
 * Leases one row for this worker before it renews or recreates it: the row leased, undefined when
 * another holds it or changed it since it was read (the work is no longer ours), the Error when the
 * table failed.
 */
export async function leaseRow(
  subscription: StoredSubscription,
  context: { store: SubscriptionStore; rules: GraphRules; leaseMs: number; now: () => Date },
): Promise<StoredSubscription | undefined | Error> {
  try {
    const until = new Date(context.now().getTime() + leaseMsFor(subscription, context));
    return await context.store.claim(subscription, until, (current) => unchangedSince(subscription, current));
  } catch (error) {
    return error as Error;
  }
}

/** Nobody renewed, recreated or expired the row since it was read: the work is still ours to do. */
function unchangedSince(read: StoredSubscription, current: StoredSubscription): boolean {
  return (
    current.id === read.id &&
    current.state === read.state &&
    current.expirationDateTime.getTime() === read.expirationDateTime.getTime() &&
    current.pendingLifecycleEvent === read.pendingLifecycleEvent
  );
}

/**
 * Leases a run's due rows a partition chunk at a time: one table transaction for up to 100 rows,
 * rather than one write before each renewal (the table write, not Graph, was what a short run spent
 * its time on beyond Graph's own limits). A chunk some row of which changed since it was read is not
 * leased at all, and each of its rows is leased on its own as before. Leases of rows the run never
 * started are given back at its end, so the renewal queue or the next run is not kept waiting.
 */
export class LeasesAhead {
  private readonly byPartition = new Map<string, StoredSubscription[]>();
  private readonly leased = new Map<StoredSubscription, StoredSubscription>();
  private readonly tried = new Set<StoredSubscription>();
  private readonly claiming = new Map<string, Promise<void>>();

  constructor(
    private readonly store: SubscriptionStore,
    rows: readonly StoredSubscription[],
    private readonly leaseMs: number,
    private readonly now: () => Date,
    /** Whether a row is still waiting to be started by the run. */
    private readonly waiting: (row: StoredSubscription) => boolean,
    /** Rows leased for less than `leaseMs` (short-lived ones, in a manual run): left for the renewal to lease itself. */
    private readonly shorterLease: (row: StoredSubscription) => boolean = () => false,
  ) {
    for (const row of rows) {
      const list = this.byPartition.get(row.partitionKey);
      if (list) list.push(row);
      else this.byPartition.set(row.partitionKey, [row]);
    }
  }

  /**
   * The row to renew, and whether it is leased for this run already; when it is not (its chunk could
   * not be leased, or the lease taken ahead is half spent) the renewal leases it itself.
   */
  async take(subscription: StoredSubscription): Promise<{ row: StoredSubscription; leased: boolean }> {
    const key = subscription.partitionKey;
    for (;;) {
      // A chunk of this partition being leased may hold this row: its outcome comes first.
      const inFlight = this.claiming.get(key);
      if (inFlight) {
        await inFlight;
        continue;
      }
      if (this.leased.has(subscription) || this.tried.has(subscription) || this.shorterLease(subscription)) break;
      const claim = this.claimChunk(subscription).finally(() => this.claiming.delete(key));
      this.claiming.set(key, claim);
      await claim;
    }
    const leased = this.leased.get(subscription);
    this.leased.delete(subscription);
    if (!leased) return { row: subscription, leased: false };
    const now = this.now();
    if (leased.leaseUntil!.getTime() - now.getTime() >= this.leaseMs / 2) return { row: leased, leased: true };
    // Half spent: a renewal from here might outlive it, so the lease is taken again, in full. The
    // row may have changed meanwhile (a lifecycle event recorded on it); our own lease does not bar us.
    try {
      const again = await this.store.claim(
        { ...leased, leaseUntil: undefined },
        new Date(now.getTime() + this.leaseMs),
        (current) => current.expirationDateTime.getTime() === leased.expirationDateTime.getTime(),
        leased.leaseUntil,
      );
      if (again) return { row: again, leased: true };
    } catch {
      // The renewal tries to lease it itself, and reports what the table says.
    }
    return { row: subscription, leased: false };
  }

  /**
   * Gives back the leases of rows taken ahead that the run did not start (budget used up, no token):
   * a chunk at a time, or row by row when a row changed since (the chunk is then refused whole).
   * Throws, after trying them all, when some could not be given back.
   */
  async releaseUnstarted(): Promise<void> {
    const left = [...this.leased.values()];
    this.leased.clear();
    let kept = 0;
    for (const [partitionKey] of this.byPartition) {
      const rows = left.filter((row) => row.partitionKey === partitionKey);
      for (let i = 0; i < rows.length; i += CHUNK) {
        const chunk = rows.slice(i, i + CHUNK);
        if ((await this.store.leaseMany(chunk, undefined)).length === chunk.length) continue;
        for (const row of chunk) await this.store.releaseIfOurs(row, row.leaseUntil!).catch(() => kept++);
      }
    }
    if (kept > 0) throw new Error(`${kept} lease(s) could not be given back`);
  }

  private async claimChunk(first: StoredSubscription): Promise<void> {
    const now = this.now();
    const chunk = isLeased(first, now) ? [] : [first];
    this.tried.add(first);
    for (const row of this.byPartition.get(first.partitionKey) ?? []) {
      if (chunk.length >= CHUNK) break;
      if (row === first || this.tried.has(row) || !this.waiting(row) || isLeased(row, now) || this.shorterLease(row))
        continue;
      chunk.push(row);
      this.tried.add(row);
    }
    const leased = await this.store.leaseMany(chunk, new Date(now.getTime() + this.leaseMs));
    leased.forEach((row, index) => this.leased.set(chunk[index]!, row));
  }
}

/**
 * A credential stopped the work: the row's lease is given back at once, so that the next run, once the
 * tenant gives a token again, finds the row free. Resolves with `error`, to be thrown.
 */
export async function givenBack(
  row: StoredSubscription,
  error: CredentialError,
  context: { store: SubscriptionStore },
): Promise<CredentialError> {
  if (row.leaseUntil) await context.store.releaseIfOurs(row, row.leaseUntil).catch(() => undefined);
  return error;
}
