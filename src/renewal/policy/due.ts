import { cadenceFor, horizonFor, type RenewalSubject, type Schedules } from './cadence';
import type { GraphRules } from './graphRules';

const HOUR_MS = 3_600_000;

/**
 * Due when the subscription would expire before the next scheduled run plus the margin.
 * Unlike the seed's "within 24 h of now", a subscription that first becomes due still has a later
 * check before it expires, with `marginHours` minus one interval to spare, so one failed run loses nothing.
 */
export function isDue(expiration: Date, nextRunAt: Date, marginHours: number): boolean {
  return expiration.getTime() < nextRunAt.getTime() + marginHours * HOUR_MS;
}

/** What a stored subscription needs from a run, if anything. */
export type Work = 'renew' | 'recreate' | undefined;

/**
 * Renew when due before `horizon` (or forced, or Graph asked for reauthorization); recreate once Graph
 * lost it (404, or a subscriptionRemoved lifecycle event). A forced run renews every active subscription.
 */
export function workFor(
  subscription: { state: 'active' | 'expired'; expirationDateTime: Date; pendingLifecycleEvent?: string },
  horizon: Date,
  force = false,
): Work {
  if (subscription.state === 'expired' || subscription.pendingLifecycleEvent === 'subscriptionRemoved')
    return 'recreate';
  if (force || subscription.pendingLifecycleEvent === 'reauthorizationRequired') return 'renew';
  return subscription.expirationDateTime.getTime() < horizon.getTime() ? 'renew' : undefined;
}

/** The horizon `subscription` is due against: its own timer's next run plus that timer's margin. */
export function dueHorizon(subscription: RenewalSubject, rules: GraphRules, schedules: Schedules): Date {
  return horizonFor(cadenceFor(subscription, rules), schedules);
}
