import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { HttpRequest } from '@azure/functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { statusPage } from '../../src/functions/statusPage';
import { listSubscriptions, registerSubscription } from '../../src/functions/subscriptionOperations';
import { addTenant, listTenants, removeTenant } from '../../src/functions/tenantOperations';
import { HOUR, INBOX } from '../support/fixtures';
import { callOperation } from '../support/operationCall';
import { captureOutput } from '../support/reliability/leakWatch';
import { useHarness } from '../support/useHarness';

// The tenants' entry points as users reach them: the HTTP functions, the CLI, the status and its page.
const harness = useHarness({ GRAPH_USER_ID: '8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11' });
beforeAll(() => void harness.multiTenant());

const consentUrl = (tenant: string) =>
  `${harness.entra.authorityHost}/${tenant}/adminconsent?client_id=${harness.entra.appClientId}`;

async function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', 'src/cli.ts', ...args],
      { env: process.env, timeout: 60_000 },
    );
    captureOutput('cli', stdout + stderr);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    captureOutput('cli', failed.stdout + failed.stderr);
    return failed;
  }
}

async function status() {
  const answer = harness.answered(await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus')));
  return { status: answer.status, body: answer.jsonBody as Record<string, any> };
}

describe('the tenants over HTTP', () => {
  it('refuses to add a tenant whose admin has not consented, naming the URL to open, and stores nothing', async () => {
    const tenant = harness.entra.addTenant(undefined, { consented: false });

    const answer = await callOperation(harness, addTenant, 'POST', 'tenants', { tenantId: tenant });

    expect(answer.status).toBe(409);
    expect(answer.jsonBody.error).toContain(consentUrl(tenant));
    expect(answer.jsonBody.error).toContain('AADSTS700016');
    const stored = [];
    for await (const entity of harness.tenantsTable.listEntities()) stored.push(entity);
    expect(stored).toEqual([]);
  });

  it('adds a consented tenant, lists it with its health, registers in it and removes it with its subscriptions', async () => {
    const tenant = harness.entra.addTenant();
    harness.graph.tenant(tenant);

    const added = await callOperation(harness, addTenant, 'POST', 'tenants', {
      tenantId: tenant.toUpperCase(),
      displayName: 'Contoso',
    });
    expect(added.status).toBe(201);
    expect(added.jsonBody.tenant).toMatchObject({
      id: tenant,
      displayName: 'Contoso',
      consent: 'granted',
      home: false,
    });

    const listed = await callOperation(harness, listTenants, 'GET', 'tenants');
    expect(listed.jsonBody.tenants).toEqual([
      expect.objectContaining({ id: harness.graph.tenantId, home: true, consent: 'managedIdentity' }),
      expect.objectContaining({ id: tenant, consent: 'granted', consentUrl: consentUrl(tenant) }),
    ]);

    const registered = await callOperation(harness, registerSubscription, 'POST', 'webhooks/subscriptions', {
      tenantId: tenant,
    });
    expect(registered.status).toBe(201);
    const id = registered.jsonBody.subscription.id as string;
    expect(registered.jsonBody.subscription.tenantId).toBe(tenant);
    // Created in that tenant's Graph, with that tenant's token; not in the home tenant's.
    expect(harness.graph.tenant(tenant).subscriptions.has(id)).toBe(true);
    expect(harness.graph.subscriptions.has(id)).toBe(false);
    expect((await harness.subscriptionsTable.getEntity('default', id)).tenantId).toBe(tenant);

    const removed = await callOperation(harness, removeTenant, 'DELETE', `tenants/${tenant}`, undefined, {
      tenantId: tenant,
    });
    expect(removed).toMatchObject({ status: 200, jsonBody: { removed: [id], failed: [], tenant: 'deleted' } });
    expect(harness.graph.tenant(tenant).subscriptions.size).toBe(0);
    const left = [];
    for await (const entity of harness.tenantsTable.listEntities()) left.push(entity);
    expect(left).toEqual([]);
  });

  it('removes a tenant whose admin withdrew consent first: its rows go, its Graph can no longer be reached', async () => {
    const tenant = harness.entra.addTenant();
    harness.graph.tenant(tenant);
    expect((await callOperation(harness, addTenant, 'POST', 'tenants', { tenantId: tenant })).status).toBe(201);
    const registered = await callOperation(harness, registerSubscription, 'POST', 'webhooks/subscriptions', {
      tenantId: tenant,
    });
    const id = registered.jsonBody.subscription.id as string;
    // The customer deletes the enterprise application: Entra refuses the token, Graph the tokens it gave.
    harness.entra.withdrawConsent(tenant);
    for (const [token, issued] of harness.identity.tokens)
      if (issued.tenantId === tenant) harness.identity.tokens.delete(token);

    const removed = await callOperation(harness, removeTenant, 'DELETE', `tenants/${tenant}`, undefined, {
      tenantId: tenant,
    });

    expect(removed).toMatchObject({
      status: 200,
      jsonBody: { onGraph: 'unreachable', removed: [id], failed: [], tenant: 'deleted' },
    });
    await expect(harness.subscriptionsTable.getEntity('default', id)).rejects.toMatchObject({ statusCode: 404 });
    expect(harness.graph.tenant(tenant).requests.filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  it("lists the home tenant's subscriptions by the id `tenant list` shows for it", async () => {
    const tenant = harness.entra.addTenant();
    harness.graph.tenant(tenant);
    await callOperation(harness, addTenant, 'POST', 'tenants', { tenantId: tenant });
    const home = await callOperation(harness, registerSubscription, 'POST', 'webhooks/subscriptions', {});
    await callOperation(harness, registerSubscription, 'POST', 'webhooks/subscriptions', {
      tenantId: tenant,
      resource: "users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Sent Items')/messages",
    });

    const request = new HttpRequest({
      method: 'GET',
      url: `http://localhost:7071/api/webhooks/subscriptions?tenant=${harness.graph.tenantId}`,
    });
    const listed = harness.answered(await listSubscriptions(request, harness.context('operations')));

    expect((listed.jsonBody as { subscriptions: { id: string }[] }).subscriptions.map((s) => s.id)).toEqual([
      home.jsonBody.subscription.id,
    ]);
  });

  it('refuses to register in a tenant that was never added', async () => {
    const tenant = randomUUID();

    const answer = await callOperation(harness, registerSubscription, 'POST', 'webhooks/subscriptions', {
      tenantId: tenant,
    });

    expect(answer.status).toBe(404);
    expect(answer.jsonBody.error).toContain(`tenant add ${tenant}`);
  });
});

describe('the tenants from the CLI', () => {
  it('adds, lists and removes a tenant', async () => {
    const tenant = harness.entra.addTenant();
    harness.graph.tenant(tenant);

    const added = await ops('tenant', 'add', tenant, '--name', 'Fabrikam');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: tenant, displayName: 'Fabrikam', consent: 'granted' });

    const listed = JSON.parse((await ops('tenant', 'list')).stdout) as { id: string }[];
    expect(listed.map((t) => t.id)).toEqual([harness.graph.tenantId, tenant]);

    const removed = await ops('tenant', 'remove', tenant);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ tenant: 'deleted' });
  }, 120_000);

  it('says what the admin must open when consent is missing (exit 1)', async () => {
    const tenant = harness.entra.addTenant(undefined, { consented: false });

    const added = await ops('tenant', 'add', tenant);

    expect(added.code).toBe(1);
    expect(added.stderr).toContain(consentUrl(tenant));
  }, 60_000);
});

describe('the status per tenant', () => {
  it('counts each tenant, and names a tenant without a token as a problem with its consent URL', async () => {
    const tenant = harness.entra.addTenant();
    await harness.tenantsTable.createEntity({
      partitionKey: 'tenant',
      rowKey: tenant,
      displayName: 'Northwind',
      addedAt: new Date(),
      consentState: 'missing',
      lastErrorAt: new Date(),
      lastErrorMessage: 'AADSTS700016: Application not found in the directory.',
    });
    const soon = new Date(Date.now() + 30 * HOUR);
    for (const [id, tenantId] of [
      ['home-row', undefined],
      ['tenant-row', tenant],
    ] as const) {
      await harness.subscriptionsTable.createEntity({
        partitionKey: 'default',
        rowKey: id,
        resource: INBOX,
        expirationDateTime: soon,
        ...(tenantId ? { tenantId } : {}),
      });
    }

    const { status: code, body } = await status();

    expect(code).toBe(503);
    expect(body.tenants).toEqual([
      expect.objectContaining({ tenant_id: harness.graph.tenantId, home: true, active: 1 }),
      expect.objectContaining({
        tenant_id: tenant,
        display_name: 'Northwind',
        consent: 'missing',
        active: 1,
        soonest_expiration: soon.toISOString(),
        consent_url: consentUrl(tenant),
      }),
    ]);
    expect(body.problems).toContainEqual(expect.stringContaining(`Tenant ${tenant} (Northwind) gives no token`));

    const page = harness.answered(await statusPage(harness.statusRequest(), harness.context('statusPage')));
    const html = page.body as string;
    expect(html).toContain('<h2>Tenants</h2>');
    expect(html).toContain(tenant);
  });
});
