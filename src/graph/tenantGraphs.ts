import type { TokenCredential } from '@azure/identity';
import { ConsentMissingError } from '../renewal/errors';
import type { SubscriptionGraph, TenantGraphs } from '../renewal/ports';
import { adminConsentUrl } from '../renewal/tenant';
import { createGraphClient } from './client';
import { createTenantCredential, GraphTokens, type TenantCredentialSettings, tokenExchangeScope } from './credential';
import { GraphSubscriptions, type GraphSubscriptionsOptions } from './subscriptions';
import type { AppWideRate } from './tenantRate';
import { WriteRateLimiter } from './writeRate';

export interface TenantGraphSettings extends Omit<GraphSubscriptionsOptions, 'writeRate' | 'listRate'> {
  baseUrl: string;
  /** Graph's ceilings per app per tenant, in one window: each tenant gets limiters of its own. */
  writesPerWindow: number;
  listsPerWindow: number;
  windowMs: number;
  /** The ceilings across tenants, which every tenant's limiter answers to. */
  appWrites: AppWideRate;
  appLists: AppWideRate;
  /** The multi-tenant app; undefined: only the home tenant can be reached. */
  multiTenant: TenantCredentialSettings | undefined;
  /** The home tenant's id (HOME_TENANT_ID), when known: a row naming it is the home tenant's. */
  homeTenantId: string | undefined;
}

/**
 * Each tenant's Graph, built on first use and kept for the process: its own token (cached), its own
 * limiters under the app-wide ones, its own throttle gate, so that one tenant's 429s slow that tenant
 * only. The home tenant's tokens come from `home` (the managed identity); a customer tenant's from
 * the multi-tenant app, with the managed identity's token as its client assertion.
 */
export class TenantGraphRegistry implements TenantGraphs {
  private readonly graphs = new Map<string, GraphSubscriptions>();
  private readonly home: GraphSubscriptions;
  private readonly assertion: GraphTokens;

  constructor(
    private readonly settings: TenantGraphSettings,
    homeTokens: GraphTokens,
    managedIdentity: TokenCredential,
    identity: { description: string; advice: string },
  ) {
    this.home = this.graphWith('home', homeTokens);
    // The managed identity's token for the token exchange, shared by every customer tenant's credential.
    this.assertion = new GraphTokens(
      managedIdentity,
      tokenExchangeScope(settings.multiTenant?.authorityHost ?? 'https://login.microsoftonline.com'),
      identity.description,
      identity.advice,
    );
  }

  forTenant(tenantId: string | undefined): SubscriptionGraph {
    if (tenantId === undefined || tenantId === this.settings.homeTenantId) return this.home;
    let graph = this.graphs.get(tenantId);
    if (!graph) {
      graph = this.graphWith(tenantId, this.tokensFor(tenantId));
      this.graphs.set(tenantId, graph);
    }
    return graph;
  }

  private tokensFor(tenantId: string): GraphTokens {
    const scope = `${this.settings.baseUrl}/.default`;
    const multiTenant = this.settings.multiTenant;
    if (!multiTenant) {
      const refuse: TokenCredential = {
        getToken: () => Promise.reject(new Error('MULTI_TENANT_APP_CLIENT_ID is not set.')),
      };
      return new GraphTokens(
        refuse,
        scope,
        `tenant ${tenantId}`,
        'This deployment reaches its own tenant only: deploy with `azd env set MULTI_TENANT true` (docs/tenants.md), or remove the tenantId from the row.',
      );
    }
    const consentUrl = adminConsentUrl(multiTenant.authorityHost, tenantId, multiTenant.appClientId);
    const identity = `the multi-tenant app ${multiTenant.appClientId} in tenant ${tenantId}`;
    const advice = `Tenant ${tenantId}'s admin must grant the app consent (again, if it was withdrawn) by opening ${consentUrl}.`;
    return new GraphTokens(
      () =>
        refusalsNamed(
          createTenantCredential(tenantId, multiTenant, () => this.assertion.get()),
          identity,
          advice,
        ),
      scope,
      identity,
      advice,
    );
  }

  private graphWith(tenant: string, tokens: GraphTokens): GraphSubscriptions {
    const { settings } = this;
    const writes = new WriteRateLimiter({
      writesPerWindow: withHeadroom(settings.writesPerWindow),
      windowMs: settings.windowMs,
    });
    const lists = new WriteRateLimiter({
      writesPerWindow: withHeadroom(settings.listsPerWindow),
      windowMs: settings.windowMs,
    });
    return new GraphSubscriptions(
      createGraphClient(settings.baseUrl, () => tokens.get()),
      tokens,
      {
        timeoutMs: settings.timeoutMs,
        maxAttempts: settings.maxAttempts,
        baseDelayMs: settings.baseDelayMs,
        // One tenant alone has no app-wide ceiling to share: its own limiter is all, as it always was.
        writeRate: settings.multiTenant ? settings.appWrites.forTenant(tenant, writes) : writes,
        listRate: settings.multiTenant ? settings.appLists.forTenant(tenant, lists) : lists,
      },
    );
  }
}

/**
 * A ceiling with 1% (at least one request) kept back. Graph counts requests as they arrive, the
 * limiters as they are sent: a request whose way to Graph is slower than the next one's (a new
 * connection, a busy event loop, the network) lands in a window with more than its share. Without
 * headroom, a limiter running at the ceiling tips over it now and then, and each 429 halves its rate.
 */
export function withHeadroom(ceiling: number): number {
  return Math.max(1, ceiling - Math.max(1, Math.round(ceiling / 100)));
}

/**
 * Entra's answers that only the tenant's admin can change (learn.microsoft.com/entra/identity-platform/reference-error-codes):
 * AADSTS700016 the app is not in the tenant's directory (never consented, or its enterprise application
 * deleted), AADSTS7000229 no service principal for it, AADSTS65001 no consent, AADSTS7000112 the app
 * disabled there, AADSTS90002 no such tenant (MSAL reports an unknown tenant as endpoints_resolution_error,
 * the code lost, when the tenant's OpenID configuration is refused).
 */
const CONSENT_MISSING = /AADSTS(700016|7000229|65001|7000112|90002)\b|endpoints_resolution_error/;

/** `credential`, its refusals for want of consent turned into a ConsentMissingError that says what to do. */
function refusalsNamed(credential: TokenCredential, identity: string, advice: string): TokenCredential {
  return {
    getToken: async (scopes, options) => {
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!CONSENT_MISSING.test(message)) throw error;
        const reason = message.split('\n').find((line) => /AADSTS|endpoints_resolution_error/.test(line)) ?? message;
        throw new ConsentMissingError(
          `Entra refused a Microsoft Graph token for ${identity}: ${reason.trim()} ${advice}`,
        );
      }
    },
  };
}
