import { channelKind } from './deliveryChannel';
import type { GraphRules, Lifetime, LifetimeSubject } from './graphRules';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The timer that keeps short-lived subscriptions alive, and its NCRONTAB schedule (every 10 minutes). */
export const SHORT_LIVED_FUNCTION_NAME = 'renewShortLivedSubscriptions';
/**
 * Every 10 minutes, from the shortest lifetime Graph allows: presence lives 60 minutes, so a renewal
 * asks for 50 (the 10-minute safety margin). Renewing what would expire within the next run plus
 * SHORT_LIVED_MARGIN_MS (30 minutes) renews presence every 20 to 30 minutes; the first run that finds
 * it due leaves it at least 30 minutes, so two runs in a row can fail (or a killed run's lease can
 * hold it) and the third still renews it. Every 5 minutes would double the runs for no subscription
 * Graph documents; every 15 would leave presence a single spare run.
 */
export const SHORT_LIVED_SCHEDULE = '0 */10 * * * *';
export const SHORT_LIVED_INTERVAL_MS = 10 * MINUTE_MS;
export const SHORT_LIVED_MARGIN_MS = 30 * MINUTE_MS;
/**
 * A lease on a short-lived row: its Graph work stops a minute before, and a run killed holding it
 * delays the row by this much at most, well inside the margin. (The daily lease, sized for every retry
 * the settings allow, can be 20 minutes: longer than presence can wait.)
 */
export const SHORT_LIVED_LEASE_MS = 5 * MINUTE_MS;
/** A short-lived run stops starting renewals after this, so that it has ended before the next one starts. */
export const SHORT_LIVED_RUN_BUDGET_MS = 7 * MINUTE_MS;

/** The longest interval between two daily runs: 25 h on the day the clocks go back. */
export const LONGEST_DAILY_INTERVAL_MS = 25 * HOUR_MS;

/** Event Grid: a renewal must ask for at least 3 hours, or reauthorizationRequired events follow at once. */
export const EVENT_GRID_MIN_AHEAD_MS = 3 * HOUR_MS;

/**
 * Which timer keeps a subscription alive: `daily` when its longest renewal outlives two daily
 * intervals (50 h, the autumn clock change included), so that even renewed at every check, one failed
 * check loses nothing; `short` when only the 10-minute timer can; `none` when neither can (an Event
 * Grid subscription whose maximum is under Event Grid's 3 hours). (With the default margin this is
 * the same as "cannot span the daily interval plus the margin" for every documented kind; unlike that
 * rule it does not move the 3-day kinds to the 10-minute timer when RENEWAL_MARGIN_HOURS is raised,
 * which would leave them less slack, not more.)
 */
export type Cadence = 'daily' | 'short' | 'none';

/** Ask Graph for this much less than its maximum: our clock and Graph's are not the same clock. */
export const SAFETY_MARGIN_MINUTES = 10;

/** The longest renewal Graph allows for this lifetime, less the safety margin. */
export function longestRenewalMs(lifetime: Pick<Lifetime, 'maxMinutes'>): number {
  return (lifetime.maxMinutes - SAFETY_MARGIN_MINUTES) * MINUTE_MS;
}

export function cadenceOf(
  lifetime: Pick<Lifetime, 'maxMinutes'>,
  channel: 'webhook' | 'eventHub' | 'eventGrid',
): Cadence {
  const longest = longestRenewalMs(lifetime);
  if (channel === 'eventGrid' && longest < EVENT_GRID_MIN_AHEAD_MS) return 'none';
  if (longest >= 2 * LONGEST_DAILY_INTERVAL_MS) return 'daily';
  // A renewal that cannot outlive two short runs leaves no spare run at all.
  return longest > 2 * SHORT_LIVED_INTERVAL_MS ? 'short' : 'none';
}

/** When each timer runs next, and whether the short-lived one runs at all: what "due" is measured against. */
export interface Schedules {
  daily: { nextRunAt: Date; marginHours: number };
  short: { nextRunAt: Date; enabled: boolean };
}

/** Due when the subscription would expire before this; each cadence has the horizon of its own timer. */
export function horizonFor(cadence: Cadence, schedules: Schedules): Date {
  if (cadence === 'daily' || !schedules.short.enabled) {
    return new Date(schedules.daily.nextRunAt.getTime() + schedules.daily.marginHours * HOUR_MS);
  }
  return new Date(schedules.short.nextRunAt.getTime() + SHORT_LIVED_MARGIN_MS);
}

/**
 * Which runs work on a subscription: each timer on its own cadence (all to the daily one when the
 * short timer is off). The 10-minute timer also takes one of the daily timer's that would expire
 * before the daily run comes: a rule changed since it was last renewed (a learnt maximum set aside,
 * an override), or it was adopted with less than a day left. Never both timers for one row otherwise.
 */
export type RunScope = 'daily' | 'short' | 'any';

export function inScope(scope: RunScope, cadence: Cadence, expiration: Date, schedules: Schedules): boolean {
  if (scope === 'any') return true;
  const owner = cadence === 'daily' || !schedules.short.enabled ? 'daily' : 'short';
  if (owner === scope) return true;
  return scope === 'short' && expiration.getTime() <= schedules.daily.nextRunAt.getTime();
}

/** What the rules and the cadence need of a subscription: what it watches and where it delivers. */
export type RenewalSubject = LifetimeSubject & { notificationUrl?: string };

/** Which timer keeps `subscription` alive under the rules in force. */
export function cadenceFor(subscription: RenewalSubject, rules: GraphRules): Cadence {
  return cadenceOf(rules.lifetimeOf(subscription), channelKind(subscription.notificationUrl));
}

/**
 * Why no timer keeps `subscription` alive, or undefined when one does: an Event Grid subscription whose
 * maximum is under Event Grid's 3 hours, or a short-lived one while the short-lived timer is disabled.
 */
export function keepAliveProblem(
  subscription: RenewalSubject,
  rules: GraphRules,
  shortTimerEnabled: boolean,
): string | undefined {
  const lifetime = rules.lifetimeOf(subscription);
  const cadence = cadenceOf(lifetime, channelKind(subscription.notificationUrl));
  const allows = `Graph allows at most ${lifetime.maxMinutes} minutes for a ${lifetime.kind}${lifetime.key.endsWith('+rich') ? ' (with resource data)' : ''} subscription${lifetime.cappedBecause ? ` (${lifetime.cappedBecause})` : ''}`;
  if (cadence === 'none') {
    return channelKind(subscription.notificationUrl) === 'eventGrid'
      ? `${allows}, and Event Grid wants every renewal at least 3 hours ahead: no timer can keep it alive; deliver it through a webhook or Event Hubs instead.`
      : `${allows}: too short for even the ${SHORT_LIVED_FUNCTION_NAME} timer (every 10 minutes) to keep it alive.`;
  }
  if (cadence === 'short' && !shortTimerEnabled) {
    return `${allows}, less than two days, and the ${SHORT_LIVED_FUNCTION_NAME} timer that renews such subscriptions is disabled (AzureWebJobs.${SHORT_LIVED_FUNCTION_NAME}.Disabled): enable it.`;
  }
  return undefined;
}
