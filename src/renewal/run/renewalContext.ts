import type { Schedules } from '../policy/cadence';
import type { RenewalPolicy } from '../policy/expiration';
import type { GraphRules } from '../policy/graphRules';
import type { LearntMaxima, Log, SubscriptionGraph, SubscriptionStore, TenantDirectory, TenantGraphs } from '../ports';

/** What renewing or recreating one subscription needs: the timer, a manual run and a lifecycle event share it. */
export interface RenewalContext {
  store: SubscriptionStore;
  /** Each tenant's Graph: a subscription is renewed with its own tenant's token, within its tenant's limits. */
  graphs: TenantGraphs;
  /** How the event lines and the status name the home tenant (HOME_TENANT_ID, or `home`). */
  homeTenant: string;
  log: Log;
  policy: RenewalPolicy;
  /** Graph's lifetime rules in force: the documented table, GRAPH_MAX_LIFETIMES, what Graph taught. */
  rules: GraphRules;
  /** Where a maximum Graph states is kept, for every later run (none: it holds for this process only). */
  learntMaxima?: LearntMaxima;
  /** When each timer runs next: a subscription is due against its own timer's next run. */
  schedules: Schedules;
  /** The clock; called for each renewal, so a long run computes each expiration from its own start. */
  now: () => Date;
  /** WEBHOOK_CLIENT_STATE, which new subscriptions are created with; recreation fails clearly without it. */
  clientState: string | undefined;
  /** Why the webhook settings are unusable, when they are (config.webhookProblem). */
  webhookProblem?: string;
  /** How long a row is leased for one renewal or recreation (leaseMs in renewal/lease.ts). */
  leaseMs: number;
  /** Where a customer tenant's health is recorded (the tenants table), so that the status names one that fails. */
  tenantHealth?: Pick<TenantDirectory, 'recordHealth'>;
}

/** The Graph of the subscription's tenant (a row naming the home tenant by its id is the home tenant's). */
export function graphOf(
  context: Pick<RenewalContext, 'graphs' | 'homeTenant'>,
  subscription: { tenantId?: string | undefined },
): SubscriptionGraph {
  return context.graphs.forTenant(customerTenantOf(context, subscription));
}

/** The subscription's customer tenant; undefined for the home tenant, however the row names it. */
export function customerTenantOf(
  context: Pick<RenewalContext, 'homeTenant'>,
  subscription: { tenantId?: string | undefined },
): string | undefined {
  return subscription.tenantId === context.homeTenant ? undefined : subscription.tenantId;
}

/** The tenant's name in event lines and the status: its id, or the home tenant's name for a row without one. */
export function tenantOf(context: Pick<RenewalContext, 'homeTenant'>, subscription: { tenantId?: string | undefined }) {
  return subscription.tenantId ?? context.homeTenant;
}
