import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchSecret } from './reliability/leakWatch';

export interface IssuedToken {
  resource: string;
  clientId: string;
  expiresAt: Date;
  /** The tenant the token is for; undefined: the identity emulator's own tenant (the home tenant). */
  tenantId?: string;
}

/**
 * App Service's managed-identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER, api-version 2019-08-01),
 * on loopback, so that @azure/identity's ManagedIdentityCredential runs its real code path.
 * It issues opaque tokens that the Graph emulator checks against `tokens`.
 */
export class IdentityEmulator {
  readonly header = randomBytes(16).toString('hex');
  /** Client ids of the user-assigned identities "attached to the app". */
  readonly clientIds = new Set<string>([randomUUID()]);
  readonly tokens = new Map<string, IssuedToken>();
  requests = 0;
  /** What each token request asked for. */
  readonly asked: { resource: string | null; clientId: string | null; headerMatched: boolean }[] = [];
  tokenLifetimeSeconds = 3600;
  readonly tenantId = randomUUID();
  /** Each identity's principal (object) id, made on first use and stable after: what Entra matches a federated credential's subject against. */
  private readonly principals = new Map<string, string>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(): Promise<IdentityEmulator> {
    let emulator!: IdentityEmulator;
    const server = createServer((request, response) => emulator.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    emulator = new IdentityEmulator(server, `http://127.0.0.1:${port}/msi/token`);
    return emulator;
  }

  get clientId(): string {
    return [...this.clientIds][0]!;
  }

  /** The principal (object) id of an identity ('system-assigned' included): the `oid` claim of its tokens. */
  principalId(clientId: string = this.clientId): string {
    let principal = this.principals.get(clientId);
    if (!principal) {
      principal = randomUUID();
      this.principals.set(clientId, principal);
    }
    return principal;
  }

  /** The environment App Service gives a function app with this identity. */
  environment(): Record<string, string> {
    return { IDENTITY_ENDPOINT: this.endpoint, IDENTITY_HEADER: this.header, AZURE_CLIENT_ID: this.clientId };
  }

  /**
   * A token shaped like Entra ID's (a JWT with aud, iss, iat, nbf, exp), so that Azurite's OAuth check
   * accepts it for storage. Unsigned: the emulators trust it by lookup in `tokens`, not by signature.
   */
  private jwt(resource: string, clientId: string, expiresAt: Date): string {
    const now = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      aud: resource,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: now,
      nbf: now - 60,
      exp: Math.floor(expiresAt.getTime() / 1000),
      appid: clientId,
      oid: this.principalId(clientId),
      jti: randomBytes(8).toString('hex'),
    };
    return `${part({ typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${randomBytes(32).toString('base64url')}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.requests++;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const fail = (status: number, message: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ statusCode: status, message, correlationId: randomUUID() }));
    };
    if (request.method !== 'GET' || url.pathname !== '/msi/token') return fail(404, 'Not found.');
    this.asked.push({
      resource: url.searchParams.get('resource'),
      clientId: url.searchParams.get('client_id'),
      headerMatched: request.headers['x-identity-header'] === this.header,
    });
    if (request.headers['x-identity-header'] !== this.header)
      return fail(401, 'The identity header is missing or wrong.');
    if (url.searchParams.get('api-version') !== '2019-08-01') return fail(400, 'Unsupported api-version.');
    const resource = url.searchParams.get('resource');
    if (!resource) return fail(400, 'A resource is required.');
    const clientId = url.searchParams.get('client_id') ?? 'system-assigned';
    if (!this.clientIds.has(clientId) && clientId !== 'system-assigned') {
      return fail(400, 'Unable to load the proper Managed Identity.');
    }
    const expiresAt = new Date(Date.now() + this.tokenLifetimeSeconds * 1000);
    const token = this.jwt(resource, clientId, expiresAt);
    this.tokens.set(token, { resource, clientId, expiresAt });
    watchSecret('bearerToken', token);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(expiresAt.getTime() / 1000)),
        resource,
        token_type: 'Bearer',
        client_id: clientId,
      }),
    );
  }
}
