import type { Log, SubscriptionStore, TenantDirectory, TenantGraphs } from '../renewal/ports';
import type { RenewalContext } from '../renewal/run/renewalContext';
import type { RenewalRunInput } from '../renewal/run/run';
import type { SubscriptionCatalogue } from '../renewal/subscriptionCatalogue';

/** The webhook settings a registration takes its defaults from. */
export interface RegistrationDefaults {
  /** Where Graph delivers change notifications for subscriptions registered without a URL of their own. */
  notificationUrl: string | undefined;
  /** This app's lifecycle endpoint, given to every new subscription. */
  lifecycleUrl: string | undefined;
  /** The mailbox a registration without a resource watches. */
  userId: string | undefined;
}

/**
 * What the manual operations take: ports and plain values, built from the configuration by the
 * composition root. The HTTP functions and the CLI build it the same way.
 */
export interface OperationsInput {
  store: SubscriptionStore;
  catalogue: SubscriptionCatalogue;
  /** Each tenant's Graph; a subscription is created, updated and deleted with its own tenant's token. */
  graphs: TenantGraphs;
  /** The home tenant's name in answers and event lines (HOME_TENANT_ID, or `home`). */
  homeTenant: string;
  /** The customer tenants added (the tenants table). */
  tenants: TenantDirectory;
  /** The multi-tenant app (undefined: the home tenant only) and where its admins consent. */
  tenancy: { appClientId: string | undefined; authorityHost: string };
  log: Log;
  /** Sent to Graph with each new subscription (a secret); undefined when WEBHOOK_CLIENT_STATE is not set. */
  clientState: string | undefined;
  /** What is wrong with the webhook settings, if anything: registration is refused until it is fixed. */
  webhookProblem: string | undefined;
  defaults: RegistrationDefaults;
  /** The 10-minute timer runs: short-lived subscriptions can be kept alive. */
  shortTimerEnabled: boolean;
  /** How long a registration asks for (RENEWAL_LIFETIME_HOURS), within Graph's maximum. */
  lifetimeHours: number;
  /** What renewing or recreating one subscription needs, with the rules in force. */
  renewalContext(): Promise<RenewalContext>;
  /** Creates the run-history table when it does not exist yet (a manual renewal is recorded as a run). */
  ensureRunHistory(): Promise<void>;
  /** A manual renewal run's input. */
  runInput(run: {
    force: boolean;
    subscriptionId?: string;
    onlyTenant?: { tenantId: string | undefined };
  }): Promise<RenewalRunInput>;
  /** Takes a census of the table, which completes the id index (adopt, before the first census). */
  takeCensus(): Promise<unknown>;
}
