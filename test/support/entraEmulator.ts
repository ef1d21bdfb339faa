import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IdentityEmulator, IssuedToken } from './identityEmulator';
import { watchSecret } from './reliability/leakWatch';

/** The audience Entra requires of an assertion exchanged for an app's token (workload identity federation). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** A federated identity credential on the app registration: assertions from `issuer` about `subject`, for one of `audiences`. */
export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
}

/** A tenant the emulator knows; `consented`: the app has a service principal there (an admin consented). */
export interface EntraTenant {
  id: string;
  consented: boolean;
}

/** One POST to a token endpoint, as Entra saw it. No secret in it: neither the assertion nor the token. */
export interface EntraTokenRequest {
  tenantId: string;
  clientId: string | null;
  scope: string | null;
  grantType: string | null;
  /** The assertion is one the identity emulator issued, unexpired, and matching a federated credential. */
  assertionAccepted: boolean;
  /** The AADSTS code of a refusal (e.g. 'AADSTS700016'); undefined when a token was issued. */
  error?: string;
}

/** An AADSTS refusal: the OAuth error, the AADSTS number, Entra's wording (without the code prefix), the status. */
interface Refusal {
  error: string;
  code: number;
  description: string;
  status?: number;
}

/**
 * Microsoft Entra ID's token service over HTTPS on loopback, per tenant: the OpenID configuration
 * and the v2.0 token endpoint, as MSAL node (under @azure/identity's ClientAssertionCredential)
 * calls them with `disableInstanceDiscovery` and a custom authority host. One multi-tenant app
 * registration that trusts the identity emulator's managed identity through a federated identity
 * credential; tenants that have (or have not, or no longer) consented to it. Tokens are opaque to
 * Graph's emulator, trusted by lookup in the shared `tokens` map, with Entra's error shapes on refusal.
 */
export class EntraEmulator {
  /** The multi-tenant app registration's client (application) id. */
  readonly appClientId = randomUUID();
  /** The app's federated identity credentials; tests may change or empty them. */
  federatedCredentials: FederatedCredential[];
  readonly tenants = new Map<string, EntraTenant>();
  /** Every token request, in order. */
  readonly tokenRequests: EntraTokenRequest[] = [];
  /** Every HTTP request the emulator received (method and path, no query: a query may carry nothing secret, but keep it short). */
  readonly requests: { method: string; path: string }[] = [];
  tokenLifetimeSeconds = 3600;

  private constructor(
    private readonly server: Server,
    readonly authorityHost: string,
    private readonly identity: IdentityEmulator,
    private readonly graphBaseUrl: string,
    private readonly tokens: Map<string, IssuedToken>,
  ) {
    this.federatedCredentials = [this.managedIdentityCredential()];
    this.addHomeTenant();
  }

  static async start(options: {
    certPath: string;
    keyPath: string;
    identity: IdentityEmulator;
    graphBaseUrl: string;
    tokens: Map<string, IssuedToken>;
  }): Promise<EntraEmulator> {
    let emulator!: EntraEmulator;
    const server = createServer(
      { cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) },
      (request, response) => void emulator.handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    emulator = new EntraEmulator(
      server,
      `https://localhost:${port}`,
      options.identity,
      options.graphBaseUrl.replace(/\/$/, ''),
      options.tokens,
    );
    return emulator;
  }

  /** The home tenant: where the managed identity and the app registration live. */
  get homeTenantId(): string {
    return this.identity.tenantId;
  }

  /** The issuer of a tenant's v2.0 tokens at this authority, as its OpenID configuration names it. */
  issuer(tenantId: string): string {
    return `${this.authorityHost}/${tenantId}/v2.0`;
  }

  /** The federated credential the app starts with: the identity emulator's user-assigned identity. */
  managedIdentityCredential(): FederatedCredential {
    return {
      issuer: this.issuer(this.identity.tenantId),
      subject: this.identity.principalId(),
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
    };
  }

  /** A customer tenant; by default its admin has consented to the app. */
  addTenant(id: string = randomUUID(), { consented = true }: { consented?: boolean } = {}): string {
    this.tenants.set(id, { id, consented });
    return id;
  }

  /** An admin of tenant `id` consents to the app (its service principal is created there). */
  consent(id: string): void {
    this.known(id).consented = true;
  }

  /** The tenant removes the app's service principal: no token for it there from now on. */
  withdrawConsent(id: string): void {
    this.known(id).consented = false;
  }

  removeTenant(id: string): void {
    this.tenants.delete(id);
  }

  /** Back to the start: the home tenant only, the managed identity's credential, no recorded request. */
  reset(): void {
    this.tenants.clear();
    this.addHomeTenant();
    this.federatedCredentials = [this.managedIdentityCredential()];
    this.tokenRequests.length = 0;
    this.requests.length = 0;
    this.tokenLifetimeSeconds = 3600;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private addHomeTenant(): void {
    this.addTenant(this.identity.tenantId, { consented: true });
  }

  private known(id: string): EntraTenant {
    const tenant = this.tenants.get(id);
    if (!tenant) throw new Error(`The Entra emulator knows no tenant ${id}; addTenant it first.`);
    return tenant;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', this.authorityHost);
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname });
    const segments = url.pathname.split('/').filter(Boolean);
    const tenantId = segments[0] ? decodeURIComponent(segments[0]) : '';
    const rest = segments.slice(1).join('/');
    if (method === 'GET' && rest === 'v2.0/.well-known/openid-configuration') {
      return this.openIdConfiguration(tenantId, response);
    }
    if (method === 'POST' && rest === 'oauth2/v2.0/token') {
      return this.token(tenantId, new URLSearchParams(body), response);
    }
    if (method === 'GET' && rest === 'discovery/v2.0/keys') {
      // No signing keys: the tokens are trusted by lookup, never by signature.
      return json(response, 200, { keys: [] });
    }
    return json(response, 404, { error: 'not_found', error_description: `No such endpoint: ${url.pathname}` });
  }

  /** GET /{tenant}/v2.0/.well-known/openid-configuration: what MSAL reads to find the token endpoint. */
  private openIdConfiguration(tenantId: string, response: ServerResponse): void {
    if (!this.tenants.has(tenantId)) return refuse(response, tenantNotFound(tenantId));
    const base = `${this.authorityHost}/${tenantId}`;
    json(response, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.authorityHost}/${tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: this.issuer(tenantId),
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${this.graphBaseUrl}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: new URL(this.graphBaseUrl).host,
      rbac_url: 'https://pas.windows.net',
    });
  }

  /** POST /{tenant}/oauth2/v2.0/token: client credentials with a federated assertion, checked in Entra's order. */
  private token(tenantId: string, form: URLSearchParams, response: ServerResponse): void {
    const recorded: EntraTokenRequest = {
      tenantId,
      clientId: form.get('client_id'),
      scope: form.get('scope'),
      grantType: form.get('grant_type'),
      assertionAccepted: false,
    };
    this.tokenRequests.push(recorded);
    const refusal = this.check(tenantId, form, recorded);
    if (refusal) {
      recorded.error = `AADSTS${refusal.code}`;
      return refuse(response, refusal);
    }
    const expiresAt = new Date(Date.now() + this.tokenLifetimeSeconds * 1000);
    const token = this.jwt(tenantId, expiresAt);
    this.tokens.set(token, { resource: this.graphBaseUrl, clientId: this.appClientId, expiresAt, tenantId });
    watchSecret('bearerToken', token);
    json(response, 200, {
      token_type: 'Bearer',
      expires_in: this.tokenLifetimeSeconds,
      ext_expires_in: this.tokenLifetimeSeconds,
      access_token: token,
    });
  }

  private check(tenantId: string, form: URLSearchParams, recorded: EntraTokenRequest): Refusal | undefined {
    if (!this.tenants.has(tenantId)) return tenantNotFound(tenantId);
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return {
        error: 'unsupported_grant_type',
        code: 70003,
        description: `The app requested an unsupported grant type '${grantType ?? ''}'.`,
      };
    }
    const clientId = form.get('client_id');
    if (!clientId) {
      return {
        error: 'invalid_request',
        code: 900144,
        description: "The request body must contain the following parameter: 'client_id'.",
      };
    }
    const assertion = form.get('client_assertion');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !assertion) {
      return {
        error: 'invalid_client',
        code: 7000218,
        description: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        status: 401,
      };
    }
    const tenant = this.tenants.get(tenantId)!;
    // The app exists in a tenant only through its service principal, which consent creates.
    if (clientId !== this.appClientId || !tenant.consented) {
      return {
        error: 'unauthorized_client',
        code: 700016,
        description: `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      };
    }
    const issued = this.tokens.get(assertion);
    if (!issued) {
      return { error: 'invalid_request', code: 50027, description: 'JWT token is invalid or malformed.' };
    }
    if (issued.expiresAt.getTime() <= Date.now()) {
      return {
        error: 'invalid_client',
        code: 700024,
        description: `Client assertion is not within its valid time range. Current time: ${entraTime(new Date())}, expiry time of assertion ${entraTime(issued.expiresAt)}.`,
        status: 401,
      };
    }
    // What Entra reads in a managed identity's token: issued by the home tenant's v2.0 issuer, about its principal.
    const presented = {
      issuer: this.issuer(issued.tenantId ?? this.identity.tenantId),
      subject: this.identity.principalId(issued.clientId),
      audience: issued.resource.replace(/\/$/, ''),
    };
    const byIssuer = this.federatedCredentials.filter((fic) => fic.issuer === presented.issuer);
    const bySubject = byIssuer.filter((fic) => fic.subject === presented.subject);
    const matching = bySubject.filter((fic) => fic.audiences.includes(presented.audience));
    if (matching.length === 0) {
      const [code, what] =
        byIssuer.length === 0
          ? [700211, `issuer '${presented.issuer}'`]
          : bySubject.length === 0
            ? [700213, `subject '${presented.subject}'`]
            : [700212, `audience '${presented.audience}'`];
      return {
        error: 'invalid_client',
        code,
        description: `No matching federated identity record found for presented assertion ${what}. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
        status: 401,
      };
    }
    recorded.assertionAccepted = true;
    const scope = form.get('scope') ?? '';
    if (!scope.endsWith('/.default')) {
      return {
        error: 'invalid_scope',
        code: 1002012,
        description: `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      };
    }
    if (scope !== `${this.graphBaseUrl}/.default`) {
      return {
        error: 'invalid_resource',
        code: 500011,
        description: `The resource principal named ${scope.slice(0, -'/.default'.length)} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      };
    }
    return undefined;
  }

  /** An access token shaped like Entra's v1 app token for Graph; unsigned, trusted by lookup in `tokens`. */
  private jwt(tenantId: string, expiresAt: Date): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      aud: this.graphBaseUrl,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now - 60,
      exp: Math.floor(expiresAt.getTime() / 1000),
      appid: this.appClientId,
      idtyp: 'app',
      tid: tenantId,
      oid: randomUUID(),
      jti: randomBytes(8).toString('hex'),
    };
    return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
  }
}

function tenantNotFound(tenantId: string): Refusal {
  return {
    error: 'invalid_tenant',
    code: 90002,
    description: `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  };
}

/** Entra's timestamps in error bodies: '2016-01-09 02:02:12Z'. */
function entraTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Entra's error body: the AADSTS code leads the description, which ends with the trace and correlation ids. */
function refuse(response: ServerResponse, refusal: Refusal): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTime(new Date());
  json(response, refusal.status ?? 400, {
    error: refusal.error,
    error_description: `AADSTS${refusal.code}: ${refusal.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [refusal.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${refusal.code}`,
  });
}

function json(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(payload));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
