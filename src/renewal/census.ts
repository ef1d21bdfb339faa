import type { Schedules } from './cadence';
import type { GraphRules } from './graphRules';
import { cadenceFor, dueHorizon, keepAliveProblem } from './policy';
import type { StatusSettings } from './status';
import type { StoredRow, StoredSubscription } from './subscription';

const HOUR_MS = 3_600_000;
// A status body stays readable (and small) however many rows are broken: name the first few.
const MAX_NAMED_PER_PROBLEM = 20;
const MAX_LISTED_EXPIRING = 1000;

/** Counts and names, page by page, what the status reports about the stored subscriptions. */
export class SubscriptionCensus {
  private total = 0;
  private active = 0;
  private dueBeforeNextRun = 0;
  private soonest: StoredSubscription | undefined;
  private readonly expired: string[] = [];
  private readonly failing: string[] = [];
  private readonly invalid: string[] = [];
  private readonly doomed: string[] = [];
  private readonly missed: string[] = [];
  private recentlyRecreated = 0;
  private shortLived = 0;
  private readonly expiringSoon: StoredSubscription[] = [];
  private expiringCount = 0;

  constructor(
    private readonly now: Date,
    private readonly schedules: Schedules,
    private readonly rules: GraphRules,
    private readonly settings: Pick<StatusSettings, 'marginHours' | 'lifetimeHours'>,
    private readonly hours: number | undefined,
  ) {}

  add(rows: StoredRow[]): void {
    for (const row of rows) {
      this.total++;
      if (!row.ok) {
        this.invalid.push(`Row ${row.partitionKey}/${row.rowKey} of the subscriptions table is malformed: ${row.problem}`);
        continue;
      }
      this.addSubscription(row.subscription);
    }
  }

  private addSubscription(subscription: StoredSubscription): void {
    const label = `Subscription ${subscription.id} (${subscription.resource})`;
    const expiresAt = subscription.expirationDateTime;
    if (this.hours !== undefined && expiresAt.getTime() <= this.now.getTime() + this.hours * HOUR_MS) {
      this.expiringCount++;
      if (this.expiringSoon.length < MAX_LISTED_EXPIRING) this.expiringSoon.push(subscription);
    }
    const lastDay = this.now.getTime() - 24 * HOUR_MS;
    if (subscription.recreatedAt && subscription.recreatedAt.getTime() > lastDay) this.recentlyRecreated++;
    if (subscription.lastMissedAt && subscription.lastMissedAt.getTime() > lastDay) {
      this.missed.push(
        `${label}: Graph reported missed change notifications at ${subscription.lastMissedAt.toISOString()}; the consumer must resync (delta query).`,
      );
    }
    if (subscription.state === 'expired' || expiresAt.getTime() <= this.now.getTime()) {
      const last = subscription.lastFailure;
      const why = last ? ` (last error: status ${last.statusCode} ${last.code}: ${last.message})` : '';
      this.expired.push(
        `${label} expired${subscription.state === 'expired' ? ' (Graph no longer has it)' : ''} at ${expiresAt.toISOString()} and has not been recreated${why}; each run tries again.`,
      );
      return;
    }
    this.active++;
    if (!this.soonest || expiresAt.getTime() < this.soonest.expirationDateTime.getTime()) this.soonest = subscription;
    // Due against its own timer's next run: the daily check's, or the 10-minute timer's.
    if (expiresAt.getTime() < dueHorizon(subscription, this.rules, this.schedules).getTime()) this.dueBeforeNextRun++;
    if (cadenceFor(subscription, this.rules, this.settings.marginHours) !== 'daily') this.shortLived++;
    if (subscription.consecutiveFailures > 0) {
      const last = subscription.lastFailure;
      const detail = last ? `: last status ${last.statusCode} ${last.code} at ${last.at.toISOString()}` : '';
      this.failing.push(
        `${label} failed its last ${subscription.consecutiveFailures} renewal attempt(s)${detail}; it expires at ${expiresAt.toISOString()}.`,
      );
    }
    const problem = keepAliveProblem(subscription, this.rules, this.settings.marginHours, this.schedules.short.enabled);
    if (problem) this.doomed.push(`${label}: ${problem}`);
  }

  counts() {
    return {
      total: this.total,
      active: this.active,
      due_before_next_run: this.dueBeforeNextRun,
      expired: this.expired.length,
      failing: this.failing.length,
      invalid: this.invalid.length,
      cannot_be_kept_alive: this.doomed.length,
      short_lived: this.shortLived,
      recreated_last_24h: this.recentlyRecreated,
      missed_notifications_last_24h: this.missed.length,
      soonest_expiration: this.soonest
        ? {
            id: this.soonest.id,
            resource: this.soonest.resource,
            expiration_date_time: this.soonest.expirationDateTime.toISOString(),
          }
        : null,
    };
  }

  expiring() {
    const listed = [...this.expiringSoon].sort((a, b) => a.expirationDateTime.getTime() - b.expirationDateTime.getTime());
    return {
      hours: this.hours,
      count: this.expiringCount,
      truncated: this.expiringCount > listed.length,
      subscriptions: listed.map((subscription) => ({
        id: subscription.id,
        resource: subscription.resource,
        state: subscription.state,
        expiration_date_time: subscription.expirationDateTime.toISOString(),
        hours_left: Math.round(((subscription.expirationDateTime.getTime() - this.now.getTime()) / HOUR_MS) * 10) / 10,
        consecutive_failures: subscription.consecutiveFailures,
      })),
    };
  }

  problems(): string[] {
    return [this.expired, this.failing, this.invalid, this.doomed, this.missed].flatMap(named);
  }
}

function named(messages: string[]): string[] {
  if (messages.length <= MAX_NAMED_PER_PROBLEM) return messages;
  return [...messages.slice(0, MAX_NAMED_PER_PROBLEM), `... and ${messages.length - MAX_NAMED_PER_PROBLEM} more like these.`];
}
