import { longestRenewalMs, type RenewalSubject, SAFETY_MARGIN_MINUTES } from './cadence';
import type { GraphRules, Lifetime } from './graphRules';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export interface RenewalPolicy {
  /** Renew what would expire before the next run plus this many hours. */
  marginHours: number;
  /** Wanted lifetime of a renewed subscription, capped by Graph's maximum for its resource. */
  lifetimeHours: number;
}

export interface RenewalTarget {
  expiration: Date;
  lifetime: Lifetime;
  /** True when Graph's maximum, not the wanted lifetime, set the expiration. */
  capped: boolean;
}

/**
 * The expiration to ask Graph for: now + min(wanted lifetime, the subscription's maximum - safety margin),
 * its maximum read from the rules in force (the kind, resource data, a lifecycle URL, what Graph taught).
 */
export function renewalTarget(
  subscription: RenewalSubject,
  rules: GraphRules,
  now: Date,
  lifetimeHours: number,
): RenewalTarget {
  const lifetime = rules.lifetimeOf(subscription);
  const maxMs = longestRenewalMs(lifetime);
  const wantedMs = lifetimeHours * HOUR_MS;
  const ms = Math.min(wantedMs, maxMs);
  // Whole seconds: Graph echoes what it stored, and a stable value makes replays comparable.
  const expiration = new Date(Math.floor((now.getTime() + ms) / 1000) * 1000);
  return { expiration, lifetime, capped: maxMs < wantedMs };
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
