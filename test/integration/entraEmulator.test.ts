import { ClientAssertionCredential, ManagedIdentityCredential } from '@azure/identity';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN_EXCHANGE_AUDIENCE } from '../support/entraEmulator';
import { HOUR } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// The real ClientAssertionCredential (MSAL node underneath) against the Entra emulator, with the real
// ManagedIdentityCredential's token as its assertion: what the app will run for a customer tenant.
const harness = useHarness();

/**
 * Every host the credentials' HTTP pipelines were asked to reach (MSAL's network client is that
 * pipeline); a request for anything but loopback is recorded and fails there, never sent.
 */
const hostsReached: string[] = [];
const loopbackOnly = {
  policy: {
    name: 'loopbackOnlyPolicy',
    sendRequest: (request: { url: string }, next: (request: never) => Promise<unknown>) => {
      const { host, hostname } = new URL(request.url);
      hostsReached.push(host);
      if (hostname !== 'localhost' && hostname !== '127.0.0.1') throw new Error(`A request left loopback: ${host}`);
      return next(request as never);
    },
  },
  position: 'perCall' as const,
};

beforeAll(() => {
  // A region (AZURE_REGIONAL_AUTHORITY_NAME=AutoDiscoverRegion) would send MSAL to IMDS (169.254.169.254) first.
  delete process.env.AZURE_REGIONAL_AUTHORITY_NAME;
});
beforeEach(() => {
  hostsReached.length = 0;
});

const graphScope = () => `${harness.graph.baseUrl}/.default`;

/** A fresh credential for `tenantId`, as the app builds one: the managed identity's token is the assertion. */
function credentialFor(
  tenantId: string,
  assertionScope = `${TOKEN_EXCHANGE_AUDIENCE}/.default`,
  disableInstanceDiscovery = true,
) {
  const managedIdentity = new ManagedIdentityCredential({
    clientId: harness.identity.clientId,
    additionalPolicies: [loopbackOnly as never],
  });
  return new ClientAssertionCredential(
    tenantId,
    harness.entra.appClientId,
    async () => (await managedIdentity.getToken(assertionScope)).token,
    {
      authorityHost: harness.entra.authorityHost,
      // Without it MSAL asks login.microsoftonline.com/common/discovery/instance whether the host is trusted.
      disableInstanceDiscovery,
      additionalPolicies: [loopbackOnly as never],
    },
  );
}

async function graphToken(tenantId: string): Promise<string> {
  return (await credentialFor(tenantId).getToken(graphScope())).token;
}

async function graph(method: string, path: string, token: string) {
  const response = await fetch(`${harness.graph.baseUrl}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
const later = () => new Date(Date.now() + 3 * HOUR);

describe('a consented customer tenant', () => {
  it("gets a Graph token for that tenant, which reaches that tenant's Graph and no other", async () => {
    const customer = harness.entra.addTenant();
    const other = harness.entra.addTenant();
    harness.graph
      .tenant(customer)
      .add({ id: 'in-customer', resource: 'users/a/messages', expirationDateTime: later() });
    harness.graph.tenant(other).add({ id: 'in-other', resource: 'users/b/messages', expirationDateTime: later() });
    harness.graph.add({ id: 'at-home', resource: 'users/c/messages', expirationDateTime: later() });

    const token = await graphToken(customer);
    const listed = await graph('GET', '/subscriptions', token);

    expect(listed.status).toBe(200);
    expect(listed.body.value.map((s: { id: string }) => s.id)).toEqual(['in-customer']);
    expect(claims(token)).toMatchObject({
      aud: harness.graph.baseUrl,
      tid: customer,
      appid: harness.entra.appClientId,
      iss: `https://sts.windows.net/${customer}/`,
    });
    expect(harness.graph.tenant(customer).requests).toHaveLength(1);
    expect(harness.graph.tenant(other).requests).toHaveLength(0);
    expect(harness.graph.requests).toHaveLength(0);
  });

  it('costs MSAL two requests to the Entra emulator, and nothing leaves loopback', async () => {
    const customer = harness.entra.addTenant();
    await graphToken(customer);

    // disableInstanceDiscovery: no instance discovery; no region set: no IMDS. Just the tenant's
    // OpenID configuration, then its token endpoint.
    expect(harness.entra.requests).toEqual([
      { method: 'GET', path: `/${customer}/v2.0/.well-known/openid-configuration` },
      { method: 'POST', path: `/${customer}/oauth2/v2.0/token` },
    ]);
    expect(harness.entra.tokenRequests).toEqual([
      {
        tenantId: customer,
        clientId: harness.entra.appClientId,
        scope: graphScope(),
        grantType: 'client_credentials',
        assertionAccepted: true,
      },
    ]);
    const entraHost = new URL(harness.entra.authorityHost).host;
    const identityHost = new URL(harness.identity.endpoint).host;
    // The managed identity's request may be answered from its cache (an earlier test's assertion).
    expect(hostsReached.filter((host) => host === entraHost)).toHaveLength(2);
    expect(hostsReached.every((host) => host === entraHost || host === identityHost)).toBe(true);
  });
});

describe('instance discovery', () => {
  it('sends MSAL to login.microsoftonline.com first unless disabled, so the app must disable it for a loopback authority', async () => {
    const customer = harness.entra.addTenant();

    await expect(credentialFor(customer, undefined, false).getToken(graphScope())).rejects.toThrow(
      /endpoints_resolution_error/,
    );
    expect(hostsReached).toEqual(['login.microsoftonline.com']);
    expect(harness.entra.requests).toHaveLength(0);
  });
});

describe('a tenant the app cannot get a token for', () => {
  it('without consent, is refused with AADSTS700016 (the app is not in that directory)', async () => {
    const customer = harness.entra.addTenant(undefined, { consented: false });

    await expect(graphToken(customer)).rejects.toThrow(/AADSTS700016/);
    expect(harness.entra.tokenRequests[0]).toMatchObject({ tenantId: customer, error: 'AADSTS700016' });
  });

  it('whose consent was withdrawn, is refused on a fresh credential', async () => {
    const customer = harness.entra.addTenant();
    await graphToken(customer);
    harness.entra.withdrawConsent(customer);

    await expect(graphToken(customer)).rejects.toThrow(/AADSTS700016/);
    harness.entra.consent(customer);
    await expect(graphToken(customer)).resolves.toEqual(expect.any(String));
  });

  it('that does not exist, is refused at its OpenID configuration, before any token request', async () => {
    const removed = harness.entra.addTenant();
    harness.entra.removeTenant(removed);

    // Entra answers AADSTS90002 there, but MSAL drops the answer and reports only that it found no endpoints.
    await expect(graphToken(removed)).rejects.toThrow(/endpoints_resolution_error/);
    expect(harness.entra.requests).toEqual([
      { method: 'GET', path: `/${removed}/v2.0/.well-known/openid-configuration` },
    ]);
    expect(harness.entra.tokenRequests).toHaveLength(0);
  });

  it('is refused when the assertion is a managed-identity token for another audience (Graph itself)', async () => {
    const customer = harness.entra.addTenant();
    const credential = credentialFor(customer, graphScope());

    await expect(credential.getToken(graphScope())).rejects.toThrow(/AADSTS700212/);
    expect(harness.entra.tokenRequests[0]).toMatchObject({ assertionAccepted: false, error: 'AADSTS700212' });
  });

  it('is refused when no federated credential trusts the managed identity', async () => {
    const customer = harness.entra.addTenant();
    harness.entra.federatedCredentials = [{ ...harness.entra.managedIdentityCredential(), subject: 'someone-else' }];

    await expect(graphToken(customer)).rejects.toThrow(/AADSTS700213/);
  });
});

describe('Graph with many tenants on one base URL', () => {
  it("answers 404 to a token of tenant A naming tenant B's subscription, and records the violation", async () => {
    const a = harness.entra.addTenant();
    const b = harness.entra.addTenant();
    harness.graph.tenant(a);
    harness.graph.tenant(b).add({ id: 'of-b', resource: 'users/b/messages', expirationDateTime: later() });

    const answer = await graph('GET', '/subscriptions/of-b', await graphToken(a));

    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('ResourceNotFound');
    expect(harness.graph.tenant(a).violations).toEqual([
      `subscription of-b of tenant ${b} reached with a token of tenant ${a}`,
    ]);
    expect(harness.graph.violations).toEqual(harness.graph.tenant(a).violations);
    expect(harness.graph.tenant(b).requests).toHaveLength(0);
  });

  it('answers 401 to a token for a tenant that has no Graph in the emulator', async () => {
    const stranger = harness.entra.addTenant();

    const answer = await graph('GET', '/subscriptions', await graphToken(stranger));

    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('InvalidAuthenticationToken');
  });

  it('answers 429 over the app-wide write limit across two tenants, each under its own limit', async () => {
    const [a, b] = [harness.entra.addTenant(), harness.entra.addTenant()];
    for (const [tenant, ids] of [
      [a, ['a1', 'a2']],
      [b, ['b1']],
    ] as const) {
      const graphOf = harness.graph.tenant(tenant);
      graphOf.limits = { writesPerWindow: 10, windowMs: 60_000 };
      for (const id of ids) graphOf.add({ id, resource: `users/${id}/messages`, expirationDateTime: later() });
    }
    harness.graph.appLimits = { writesPerWindow: 2, windowMs: 60_000 };
    const [tokenA, tokenB] = await Promise.all([graphToken(a), graphToken(b)]);

    expect((await graph('DELETE', '/subscriptions/a1', tokenA)).status).toBe(204);
    expect((await graph('DELETE', '/subscriptions/b1', tokenB)).status).toBe(204);
    const third = await graph('DELETE', '/subscriptions/a2', tokenA);

    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(harness.graph.appThrottled).toBe(1);
    expect(harness.graph.tenant(a).throttled).toBe(0);
    expect(harness.graph.tenant(b).throttled).toBe(0);
    expect(harness.graph.tenant(a).subscriptions.has('a2')).toBe(true);
  });
});

describe('harness.multiTenant()', () => {
  it('points the app at the Entra emulator, the home tenant and a tenants table of its own, across resets', async () => {
    const settings = harness.multiTenant();

    expect(settings).toEqual({
      MULTI_TENANT_APP_CLIENT_ID: harness.entra.appClientId,
      AZURE_AUTHORITY_HOST: harness.entra.authorityHost,
      HOME_TENANT_ID: harness.identity.tenantId,
      TENANTS_TABLE: harness.tenantsTable.tableName,
    });
    // One home tenant everywhere: the managed identity's, the home Graph's, the federated credential's issuer.
    expect(harness.graph.tenantId).toBe(harness.identity.tenantId);
    expect(harness.entra.federatedCredentials[0]!.issuer).toBe(harness.entra.issuer(harness.identity.tenantId));
    await harness.reset();
    expect(process.env.MULTI_TENANT_APP_CLIENT_ID).toBe(harness.entra.appClientId);
    expect(process.env.TENANTS_TABLE).toMatch(/^tenants[0-9a-f]{8}$/);
  });
});
