import { cadenceOf, horizonFor, longestRenewalMs, SAFETY_MARGIN_MINUTES, SHORT_LIVED_FUNCTION_NAME, type Cadence, type Schedules } from './cadence';
import { channelKind } from './deliveryChannel';
import type { GraphRules, Lifetime, LifetimeSubject } from './graphRules';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

// Graph's clock and ours differ: a request a few seconds over the maximum fails with 400 (cadence.ts).
export { SAFETY_MARGIN_MINUTES };

export interface RenewalPolicy {
  /** Renew what would expire before the next run plus this many hours. */
  marginHours: number;
  /** Wanted lifetime of a renewed subscription, capped by Graph's maximum for its resource. */
  lifetimeHours: number;
}

/**
 * Due when the subscription would expire before the next scheduled run plus the margin.
 * Unlike the seed's "within 24 h of now", a subscription that first becomes due still has a later
 * check before it expires, with `marginHours` minus one interval to spare, so one failed run loses nothing.
 */
export function isDue(expiration: Date, nextRunAt: Date, marginHours: number): boolean {
  return expiration.getTime() < nextRunAt.getTime() + marginHours * HOUR_MS;
}

export interface RenewalTarget {
  expiration: Date;
  lifetime: Lifetime;
  /** True when Graph's maximum, not the wanted lifetime, set the expiration. */
  capped: boolean;
}

/** What the rules and the cadence need of a subscription: what it watches and where it delivers. */
export type RenewalSubject = LifetimeSubject & { notificationUrl?: string };

/**
 * The expiration to ask Graph for: now + min(wanted lifetime, the subscription's maximum - safety margin),
 * its maximum read from the rules in force (the kind, resource data, a lifecycle URL, what Graph taught).
 */
export function renewalTarget(subscription: RenewalSubject, rules: GraphRules, now: Date, lifetimeHours: number): RenewalTarget {
  const lifetime = rules.lifetimeOf(subscription);
  const maxMs = longestRenewalMs(lifetime);
  const wantedMs = lifetimeHours * HOUR_MS;
  const ms = Math.min(wantedMs, maxMs);
  // Whole seconds: Graph echoes what it stored, and a stable value makes replays comparable.
  const expiration = new Date(Math.floor((now.getTime() + ms) / 1000) * 1000);
  return { expiration, lifetime, capped: maxMs < wantedMs };
}

/** Which timer keeps `subscription` alive under the rules in force. */
export function cadenceFor(subscription: RenewalSubject, rules: GraphRules): Cadence {
  return cadenceOf(rules.lifetimeOf(subscription), channelKind(subscription.notificationUrl));
}

/**
 * Why no timer keeps `subscription` alive, or undefined when one does: an Event Grid subscription whose
 * maximum is under Event Grid's 3 hours, or a short-lived one while the short-lived timer is disabled.
 */
export function keepAliveProblem(subscription: RenewalSubject, rules: GraphRules, shortTimerEnabled: boolean): string | undefined {
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

/**
 * Graph's maximum, in minutes, when it refused an expiration as too far ahead: its 400 says
 * "Subscription expiration can only be 4230 minutes in the future." (code ExtensionError).
 */
export function statedMaximumMinutes(message: string): number | undefined {
  const minutes = /can only be (\d+) minutes in the future/i.exec(message)?.[1];
  return minutes === undefined ? undefined : Number(minutes);
}

/**
 * The expiration to ask for after such a refusal: within the maximum Graph stated, less the safety
 * margin, counted from Graph's clock (which may be behind ours), and never beyond the wanted lifetime.
 */
export function targetWithinStatedMaximum(maxMinutes: number, graphNow: Date, lifetimeHours: number): Date {
  const ms = Math.min(lifetimeHours * HOUR_MS, (maxMinutes - SAFETY_MARGIN_MINUTES) * MINUTE_MS);
  return new Date(Math.floor((graphNow.getTime() + ms) / 1000) * 1000);
}

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
  if (subscription.state === 'expired' || subscription.pendingLifecycleEvent === 'subscriptionRemoved') return 'recreate';
  if (force || subscription.pendingLifecycleEvent === 'reauthorizationRequired') return 'renew';
  return subscription.expirationDateTime.getTime() < horizon.getTime() ? 'renew' : undefined;
}

/** The horizon `subscription` is due against: its own timer's next run plus that timer's margin. */
export function dueHorizon(subscription: RenewalSubject, rules: GraphRules, schedules: Schedules): Date {
  return horizonFor(cadenceFor(subscription, rules), schedules);
}

/**
 * True when a subscription on Graph is the one `definition` describes (to find one a crashed
 * attempt created). Graph may echo the resource with a leading slash and the change types reordered.
 */
export function matchesDefinition(
  candidate: { resource: string; changeType: string; notificationUrl: string; lifecycleNotificationUrl?: string },
  definition: { resource: string; changeType: string; notificationUrl: string; lifecycleNotificationUrl?: string },
): boolean {
  const resource = (value: string) => value.trim().replace(/^\//, '').toLowerCase();
  const changes = (value: string) => value.split(',').map((part) => part.trim().toLowerCase()).sort().join(',');
  return (
    resource(candidate.resource) === resource(definition.resource) &&
    changes(candidate.changeType) === changes(definition.changeType) &&
    candidate.notificationUrl === definition.notificationUrl &&
    (candidate.lifecycleNotificationUrl ?? '') === (definition.lifecycleNotificationUrl ?? '')
  );
}

/**
 * The subscription a 409 on creation names: Graph refuses a second subscription for the same
 * resource and changeType with "Subscription Id <id> already exists for the requested combination"
 * (graph/api/subscription-post-subscriptions, "Duplicate subscription behavior").
 */
export function conflictingSubscriptionId(message: string): string | undefined {
  return /subscription id\s*<?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})>?\s*already exists/i.exec(message)?.[1];
}
