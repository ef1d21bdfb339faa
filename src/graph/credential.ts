import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  ChainedTokenCredential,
  ClientAssertionCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import { isLoopback } from '../lib/loopback';
import { CredentialError } from '../renewal/errors';

export interface IdentitySettings {
  /** Set in Azure, where the host exposes the managed-identity endpoint (IDENTITY_ENDPOINT). */
  managedIdentityEndpoint: string | undefined;
  /** Client id of a user-assigned identity (AZURE_CLIENT_ID); undefined for system-assigned. */
  managedIdentityClientId: string | undefined;
}

/**
 * The app's managed identity in Azure; elsewhere a developer's own sign-in (environment variables,
 * `az login`, `azd auth login`). The managed identity is only chosen where the host provides its
 * endpoint: probing for it elsewhere can hang for minutes (seen with @azure/identity 4.13.1, which then
 * ignores abortSignal; https://aka.ms/azsdk/js/identity/troubleshoot, managed identity).
 */
export function createCredential(settings: IdentitySettings): TokenCredential {
  if (settings.managedIdentityEndpoint) {
    return settings.managedIdentityClientId
      ? new ManagedIdentityCredential({ clientId: settings.managedIdentityClientId })
      : new ManagedIdentityCredential();
  }
  return new ChainedTokenCredential(
    new EnvironmentCredential(),
    new AzureCliCredential(),
    new AzureDeveloperCliCredential(),
  );
}

/** What to check when `settings`' identity gives no token. */
export function identityAdvice(settings: IdentitySettings): string {
  return settings.managedIdentityEndpoint
    ? 'Check that this identity exists, is attached to the Function App, and that AZURE_CLIENT_ID holds its client id.'
    : 'Sign in with `az login` (or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET); in Azure the managed identity is used instead.';
}

/** Names the identity in words a person can check in the portal. */
export function describeIdentity(settings: IdentitySettings): string {
  if (!settings.managedIdentityEndpoint) {
    return 'the developer credential (AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, `az login` or `azd auth login`)';
  }
  return settings.managedIdentityClientId
    ? `the user-assigned managed identity whose client id is AZURE_CLIENT_ID=${settings.managedIdentityClientId}`
    : 'the system-assigned managed identity (AZURE_CLIENT_ID is not set)';
}

const TOKEN_TIMEOUT_MS = 20_000;
// Refresh a little early so a token never expires between being handed out and reaching Graph.
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * Hands out Graph tokens from one credential, cached until shortly before they expire.
 * Failures become a CredentialError that says which identity failed and what to check.
 */
export class GraphTokens {
  private cached: { token: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  private credential: TokenCredential;
  private readonly build: (() => TokenCredential) | undefined;

  /**
   * `credential`, or what builds one: then a refused token (`invalidate`) builds a fresh credential.
   * MSAL keeps its own token cache inside each credential, which `getToken` cannot skip: after a
   * customer tenant withdraws consent, only a new credential asks Entra again (and learns so), and
   * only a new one gets a token the moment consent is granted again.
   */
  constructor(
    credential: TokenCredential | (() => TokenCredential),
    private readonly scope: string,
    private readonly identity: string,
    private readonly advice: string,
    private readonly timeoutMs = TOKEN_TIMEOUT_MS,
  ) {
    this.build = typeof credential === 'function' ? credential : undefined;
    this.credential = this.build ? this.build() : (credential as TokenCredential);
  }

  async get(): Promise<string> {
    if (this.cached && this.cached.expiresAt - REFRESH_BEFORE_MS > Date.now()) return this.cached.token;
    // One request for concurrent callers.
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Drops the cached token, so the next call asks the credential again (after a 401); a fresh one when it can. */
  invalidate(): void {
    this.cached = undefined;
    if (this.build) this.credential = this.build();
  }

  private async fetch(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CredentialError(
              `No Microsoft Graph token within ${this.timeoutMs / 1000} s from ${this.identity}. ${this.advice}`,
            ),
          ),
        this.timeoutMs,
      );
    });
    try {
      const token = await Promise.race([this.credential.getToken(this.scope), timeout]);
      if (!token) throw new CredentialError(`${this.identity} returned no token for ${this.scope}. ${this.advice}`);
      this.cached = { token: token.token, expiresAt: token.expiresOnTimestamp };
      return token.token;
    } catch (error) {
      if (error instanceof CredentialError) throw error;
      const reason = error instanceof Error ? firstLine(error.message) : String(error);
      throw new CredentialError(
        `Could not get a Microsoft Graph token from ${this.identity}: ${reason} ${this.advice}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

function firstLine(message: string): string {
  const line = message.split('\n').find((part) => part.trim() !== '') ?? message;
  return line.trim().replace(/\.?$/, '.');
}

/** Where a customer tenant's token is asked for, and with which app. */
export interface TenantCredentialSettings {
  /** The multi-tenant app registration whose federated identity credential trusts the managed identity. */
  appClientId: string;
  /** AZURE_AUTHORITY_HOST: https://login.microsoftonline.com, a national cloud's, or a loopback emulator. */
  authorityHost: string;
}

/**
 * The audience Entra accepts a managed identity's token for as a client assertion, by cloud: the
 * global one, US Government's and China's (learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
 * The federated identity credential on the app must name the same audience.
 */
export function tokenExchangeScope(authorityHost: string): string {
  const host = new URL(authorityHost).hostname;
  if (host.endsWith('microsoftonline.us')) return 'api://AzureADTokenExchangeUSGov/.default';
  if (host.endsWith('chinacloudapi.cn')) return 'api://AzureADTokenExchangeChina/.default';
  return 'api://AzureADTokenExchange/.default';
}

/**
 * A credential for a customer tenant without a secret: the multi-tenant app's client id, with the
 * managed identity's token for api://AzureADTokenExchange as its client assertion (the app's federated
 * identity credential trusts that identity: learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
 * @azure/identity's ClientAssertionCredential (MSAL underneath) asks the tenant's token endpoint for
 * the Graph token; `assertion` hands out the managed identity's token, cached until shortly before it
 * expires. Instance discovery (a call to login.microsoftonline.com) is left out only for a loopback
 * authority, which is the tests' Entra emulator.
 */
export function createTenantCredential(
  tenantId: string,
  settings: TenantCredentialSettings,
  assertion: () => Promise<string>,
): TokenCredential {
  return new ClientAssertionCredential(tenantId, settings.appClientId, assertion, {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: isLoopback(new URL(settings.authorityHost).hostname),
  });
}
