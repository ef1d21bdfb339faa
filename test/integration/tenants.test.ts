import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { operationsInputFor } from '../../src/compositionRoot';
import { loadConfig } from '../../src/config';
import { OperationError } from '../../src/operations/operationError';
import { adopt } from '../../src/operations/operations';
import { addTenant, listTenants, removeTenant } from '../../src/operations/tenants';
import { hoursFrom } from '../support/fixtures';
import type { GraphEmulator } from '../support/graphEmulator';
import { useHarness } from '../support/useHarness';

// The multi-tenant scenarios through the real entry points: the daily timer's handler and the tenant
// operations, on the real token path. A customer tenant's token comes from @azure/identity's
// ClientAssertionCredential inside the app, whose assertion is the managed identity's token from the
// identity emulator, exchanged at the Entra emulator; each tenant's Graph emulator accepts only its own
// tenant's tokens.
const harness = useHarness();

/** What the tenant settings of `harness.multiTenant()` were, so a test can turn the app single-tenant. */
let tenancySettings: Record<string, string>;
beforeAll(() => {
  tenancySettings = harness.multiTenant();
});

/**
 * The app builds its clients once per configuration (src/compositionRoot/services.ts, servicesFor):
 * each tenant's cached token, throttle gate and limiters live there. A setting changed by a millisecond
 * (the per-request timeout) gives the next calls a new instance of the app, as a cold start would.
 */
let instances = 0;
function newInstance(): void {
  instances++;
  process.env.GRAPH_TIMEOUT_SECONDS = (5 + instances / 1000).toFixed(3);
}
beforeEach(() => newInstance());

const operations = () => operationsInputFor(loadConfig(), harness.context('operations'));
const homeTenant = () => harness.graph.tenantId;
const graphOf = (tenant: string | undefined): GraphEmulator =>
  tenant === undefined ? harness.graph : harness.graph.tenant(tenant);

/** A customer tenant that consented, added through the operation as an operator would. */
async function onboard(displayName?: string): Promise<string> {
  const tenant = harness.entra.addTenant();
  harness.graph.tenant(tenant);
  await addTenant(operations(), { tenantId: tenant, ...(displayName ? { displayName } : {}) });
  return tenant;
}

interface Stored {
  id: string;
  tenant: string | undefined;
  expiresAt: Date;
}

/**
 * `count` due subscriptions of `tenant` (undefined: the home tenant), each in a mailbox of its own: on
 * that tenant's Graph, and as rows carrying the tenant (home rows carry none, as every existing row).
 */
async function storeDue(tenant: string | undefined, count: number, hours = 6): Promise<Stored[]> {
  const expiresAt = hoursFrom(new Date(), hours);
  const stored: Stored[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const resource = `users/${(tenant ?? 'home').slice(0, 8)}-${i}/mailFolders('Inbox')/messages`;
    graphOf(tenant).add({
      id,
      resource,
      expirationDateTime: expiresAt,
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      clientState: harness.env.WEBHOOK_CLIENT_STATE,
    });
    await harness.subscriptionsTable.createEntity({
      partitionKey: 'default',
      rowKey: id,
      resource,
      changeType: 'created',
      notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
      lifecycleNotificationUrl: harness.env.WEBHOOK_LIFECYCLE_URL,
      expirationDateTime: expiresAt,
      ...(tenant ? { tenantId: tenant } : {}),
    });
    stored.push({ id, tenant, expiresAt });
  }
  return stored;
}

/** Renewed on its own tenant's Graph: well past where it was, as RENEWAL_LIFETIME_HOURS (72) asks. */
function renewedOnGraph(row: Stored): boolean {
  const onGraph = graphOf(row.tenant).subscriptions.get(row.id);
  return onGraph !== undefined && onGraph.expirationDateTime.getTime() > Date.now() + 70 * 3_600_000;
}

/** The tenant a token was issued for, as the shared tokens map knows it (undefined: the home tenant). */
const tokenTenant = (token: string | undefined) => (token ? harness.identity.tokens.get(token)?.tenantId : 'none');

/** The event lines' JSON (after ` | `), in order. */
function events(level?: string): Record<string, any>[] {
  return harness.messages(level).flatMap((message) => {
    const match = /\| (\{.*\})$/.exec(message);
    return match ? [JSON.parse(match[1]!) as Record<string, any>] : [];
  });
}

async function tenantRows(): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const entity of harness.tenantsTable.listEntities()) rows.push(entity);
  return rows;
}

async function subscriptionRows(): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for await (const entity of harness.subscriptionsTable.listEntities()) rows.push(entity);
  return rows;
}

/** Forgets the tokens already issued for `tenant`: Graph refuses them from now on, as after revocation. */
function revokeTokens(tenant: string): number {
  let revoked = 0;
  for (const [token, issued] of harness.identity.tokens) {
    if (issued.tenantId === tenant) {
      harness.identity.tokens.delete(token);
      revoked++;
    }
  }
  return revoked;
}

const consentUrl = (tenant: string) =>
  `${harness.entra.authorityHost}/${tenant}/adminconsent?client_id=${harness.entra.appClientId}`;

describe('three customer tenants and the home tenant in one run', () => {
  it('renews each tenant with its own token, on its own Graph, within its limits and the app-wide one', async () => {
    // Graph's limits scaled down (500 per tenant and 2,000 per app per 20 s, here 20 and 40 per 2 s):
    // tenant A alone has more writes than its own window allows, all four together more than the app's.
    Object.assign(process.env, {
      GRAPH_WRITES_PER_WINDOW: '20',
      GRAPH_APP_WRITES_PER_WINDOW: '40',
      GRAPH_WRITE_WINDOW_SECONDS: '2',
    });
    const [a, b, c] = [await onboard('A'), await onboard('B'), await onboard('C')];
    for (const tenant of [undefined, a, b, c]) graphOf(tenant).limits = { writesPerWindow: 20, windowMs: 2000 };
    harness.graph.appLimits = { writesPerWindow: 40, windowMs: 2000 };
    const rows = [
      ...(await storeDue(a, 40)),
      ...(await storeDue(b, 20)),
      ...(await storeDue(c, 20)),
      ...(await storeDue(undefined, 10)),
    ];
    // The timer runs on another instance than the one that added the tenants: it asks for the tokens itself.
    newInstance();
    harness.entra.tokenRequests.length = 0;

    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(rows.filter((row) => !renewedOnGraph(row))).toEqual([]);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', due: 90, renewed: 90, failed: 0 });
    // One token per customer tenant, from the multi-tenant app with an accepted assertion.
    expect(
      harness.entra.tokenRequests.map((r) => [r.tenantId, r.clientId, r.assertionAccepted, r.error]).sort(),
    ).toEqual([a, b, c].map((t) => [t, harness.entra.appClientId, true, undefined]).sort());
    // No 429 anywhere: neither a tenant's own ceiling nor the app-wide one was crossed.
    const names = new Map([
      [undefined, 'home'],
      [a, 'A'],
      [b, 'B'],
      [c, 'C'],
    ]);
    expect([...names].map(([tenant, name]) => [name, graphOf(tenant).throttled])).toEqual(
      [...names.values()].map((name) => [name, 0]),
    );
    expect(harness.graph.appThrottled, 'app-wide 429s').toBe(0);
    for (const tenant of [undefined, a, b, c]) {
      const graph = graphOf(tenant);
      const mine = rows.filter((row) => row.tenant === tenant).map((row) => row.id);
      // Every PATCH of the tenant's subscriptions reached its Graph, with a token of that tenant.
      expect(
        graph
          .patches()
          .map((p) => p.path.split('/').pop())
          .sort(),
      ).toEqual([...mine].sort());
      expect(new Set(graph.patches().map((p) => tokenTenant(p.token)))).toEqual(new Set([tenant]));
      expect(graph.requests.every((r) => r.authorized)).toBe(true);
      expect(graph.violations).toEqual([]);
    }
    // Tenant A's 40 writes took more than its 20-per-window: its own limiter spread them.
    const times = harness.graph
      .tenant(a)
      .patches()
      .map((p) => p.at.getTime());
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2000);
    // Each renewal's event line names the subscription's tenant (the home one by HOME_TENANT_ID).
    const renewed = events('information').filter((e) => e.event === 'subscriptionRenewed');
    expect(renewed).toHaveLength(90);
    for (const event of renewed) {
      const row = rows.find((r) => r.id === event.subscriptionId)!;
      expect(event.tenantId).toBe(row.tenant ?? homeTenant());
    }
    // The run's health is recorded on each tenant's row.
    expect((await tenantRows()).map((t) => [t.rowKey, t.consentState]).sort()).toEqual(
      [a, b, c].map((t) => [t, 'granted']).sort(),
    );
  });
});

describe('one tenant throttled hard', () => {
  it('holds up only that tenant: the others renew at once, the run ends, its rows fail or wait in the queue', async () => {
    Object.assign(process.env, {
      RENEWAL_CONCURRENCY: '2',
      RENEWAL_RUN_BUDGET_MINUTES: '0.05',
      GRAPH_MAX_ATTEMPTS: '1',
      GRAPH_RETRY_BASE_SECONDS: '0.01',
    });
    const [throttled, a, b] = [await onboard(), await onboard(), await onboard()];
    const retryAfterMs = 2000;
    harness.graph.tenant(throttled).inject({
      status: 429,
      headers: { 'Retry-After': String(retryAfterMs / 1000) },
      message: 'Too many requests.',
      times: Infinity,
    });
    // The others' renewals take a while (3 rounds of 2 lanes, 150 ms each): they overlap the 429s.
    for (const tenant of [undefined, a, b]) graphOf(tenant).latencyMs = 150;
    const held = await storeDue(throttled, 4);
    const others = [...(await storeDue(a, 6)), ...(await storeDue(b, 6)), ...(await storeDue(undefined, 6))];
    const started = Date.now();

    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(others.filter((row) => !renewedOnGraph(row))).toEqual([]);
    expect(held.filter(renewedOnGraph)).toEqual([]);
    // The run ended: the throttled renewals in flight gave up (429s do not wait forever), the rest of
    // the tenant's rows went to the queue once the budget was used up.
    expect(Date.now() - started).toBeLessThan(25_000);
    const [record] = await harness.runs();
    expect(record).toMatchObject({ outcome: 'partial', due: 22, renewed: 18, failed: 2, queued: 2, deferred: 0 });
    // The renewals in flight recorded Graph's 429 on their rows; the others were never sent.
    const failedRows: string[] = [];
    for (const row of held) {
      const stored = await harness.row(row.id);
      expect(stored.expirationDateTime).toEqual(row.expiresAt);
      if (stored.consecutiveFailures !== 1) continue;
      failedRows.push(row.id);
      expect(stored).toMatchObject({ lastErrorStatus: 429, lastErrorCode: 'TooManyRequests' });
    }
    expect(failedRows).toHaveLength(2);
    const queued = (await harness.takeQueuedRenewals()).map((m) => m?.rowKey);
    expect(queued.sort()).toEqual(
      held
        .map((r) => r.id)
        .filter((id) => !failedRows.includes(id))
        .sort(),
    );
    const sent = new Set(harness.graph.tenant(throttled).requests.map((r) => r.path.split('/').pop()));
    expect(queued.filter((id) => sent.has(id))).toEqual([]);
    const failures = events('error').filter((e) => e.event === 'renewalFailed');
    expect(failures.map((e) => [e.tenantId, e.statusCode]).sort()).toEqual([
      [throttled, 429],
      [throttled, 429],
    ]);
    // Never held by the throttled tenant's Retry-After: every other PATCH went out before the first one
    // ended, though some went out after the first 429.
    const firstThrottle = Math.min(
      ...harness.graph
        .tenant(throttled)
        .requests.filter((r) => r.method === 'PATCH')
        .map((r) => r.at.getTime()),
    );
    const otherPatches = [undefined, a, b].flatMap((t) =>
      graphOf(t)
        .patches()
        .map((p) => p.at.getTime()),
    );
    expect(otherPatches).toHaveLength(18);
    expect(otherPatches.some((at) => at > firstThrottle)).toBe(true);
    expect(Math.max(...otherPatches)).toBeLessThan(firstThrottle + retryAfterMs);
    // The throttled tenant kept waiting as Graph asked: its retries came Retry-After apart.
    const retries = harness.graph
      .tenant(throttled)
      .requests.filter((r) => r.method === 'PATCH')
      .map((r) => r.at.getTime())
      .sort((x, y) => x - y);
    expect(retries.length).toBeGreaterThan(2);
    expect(retries.at(-1)! - retries[0]!).toBeGreaterThanOrEqual(2 * retryAfterMs - 50);
  }, 60_000);
});

describe("one tenant's consent withdrawn", () => {
  async function withdrawnScenario(warm: boolean) {
    const [a, b, withdrawn] = [await onboard(), await onboard(), await onboard('Fabrikam')];
    const kept = [...(await storeDue(a, 3)), ...(await storeDue(b, 3)), ...(await storeDue(undefined, 2))];
    const refused = await storeDue(withdrawn, 3);
    harness.entra.withdrawConsent(withdrawn);
    expect(revokeTokens(withdrawn)).toBeGreaterThan(0);
    // Warm: the instance that added the tenants runs the timer, its tokens cached; cold: a new one.
    if (!warm) newInstance();

    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(kept.filter((row) => !renewedOnGraph(row))).toEqual([]);
    expect(refused.filter(renewedOnGraph)).toEqual([]);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', due: 11, renewed: 8, failed: 3 });
    const unavailable = events('error').filter((e) => e.event === 'tenantUnavailable');
    expect(unavailable).toEqual([
      expect.objectContaining({ tenantId: withdrawn, due: 3, failed: 3, error: expect.stringContaining(withdrawn) }),
    ]);
    const line = harness.messages('error').find((m) => m.includes('"event":"tenantUnavailable"'))!;
    expect(line).toContain(`/${withdrawn}/adminconsent?client_id=${harness.entra.appClientId}`);
    expect(line).toContain(consentUrl(withdrawn));
    expect(line).toMatch(/AADSTS700016/);
    const row = (await tenantRows()).find((t) => t.rowKey === withdrawn)!;
    expect(row).toMatchObject({ consentState: 'missing', displayName: 'Fabrikam' });
    expect(row.lastErrorMessage).toMatch(/AADSTS700016/);
    const listed = (await listTenants(operations())).find((t) => t.id === withdrawn)!;
    expect(listed).toMatchObject({ consent: 'missing', consentUrl: consentUrl(withdrawn) });
    // The other tenants' rows stay healthy.
    for (const other of [a, b])
      expect((await tenantRows()).find((t) => t.rowKey === other)).toMatchObject({ consentState: 'granted' });

    // The tenant's admin consents again: the next run (on the same instance) renews its rows.
    harness.entra.consent(withdrawn);
    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(refused.filter((r) => !renewedOnGraph(r))).toEqual([]);
    expect((await harness.runs()).find((r) => r.renewed === 3)).toMatchObject({ due: 3, failed: 0 });
    const again = (await tenantRows()).find((t) => t.rowKey === withdrawn)!;
    expect(again.consentState).toBe('granted');
    expect(again.lastErrorMessage ?? '').toBe('');
    expect(
      new Set(
        harness.graph
          .tenant(withdrawn)
          .patches()
          .map((p) => tokenTenant(p.token)),
      ),
    ).toEqual(new Set([withdrawn]));
  }

  it('on a new instance: that tenant fails alone, naming the consent URL, and recovers after consent', async () => {
    await withdrawnScenario(false);
  });

  it('on a warm instance whose token for the tenant is cached: the same, once Graph refuses that token', async () => {
    await withdrawnScenario(true);
  });
});

describe('a tenant added and adopted', () => {
  it('is refused until its admin consents, then adopts what its Graph has, and the timer renews it there', async () => {
    const tenant = harness.entra.addTenant(undefined, { consented: false });
    const graph = harness.graph.tenant(tenant);
    const expiresAt = hoursFrom(new Date(), 6);
    for (const id of ['t-1', 't-2'])
      graph.add({ id, resource: `users/${id}/mailFolders('Inbox')/messages`, expirationDateTime: expiresAt });
    harness.graph.add({
      id: 'home-1',
      resource: "users/h/mailFolders('Inbox')/messages",
      expirationDateTime: expiresAt,
    });

    const refusal = await addTenant(operations(), { tenantId: tenant, displayName: 'Contoso' }).catch(
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(OperationError);
    expect(refusal).toMatchObject({ kind: 'conflict' });
    expect((refusal as Error).message).toContain(consentUrl(tenant));
    expect(await tenantRows()).toEqual([]);
    expect(harness.entra.tokenRequests.at(-1)).toMatchObject({ tenantId: tenant, error: 'AADSTS700016' });

    harness.entra.consent(tenant);
    const added = await addTenant(operations(), { tenantId: tenant, displayName: 'Contoso' });

    expect(added).toMatchObject({ id: tenant, displayName: 'Contoso', home: false, consent: 'granted' });
    expect(await tenantRows()).toEqual([
      expect.objectContaining({
        partitionKey: 'tenant',
        rowKey: tenant,
        displayName: 'Contoso',
        consentState: 'granted',
      }),
    ]);
    expect(events('information')).toContainEqual(expect.objectContaining({ event: 'tenantAdded', tenantId: tenant }));

    const report = await adopt(operations(), 'default', { tenant });

    expect(report.adopted.map((s) => s.id).sort()).toEqual(['t-1', 't-2']);
    const rows = await subscriptionRows();
    expect(rows.map((r) => [r.rowKey, r.tenantId]).sort()).toEqual([
      ['t-1', tenant],
      ['t-2', tenant],
    ]);
    // The tenant's Graph was listed with its token; the home Graph was not asked.
    expect(graph.requests.filter((r) => r.method === 'GET').map((r) => tokenTenant(r.token))).toEqual([tenant]);
    expect(harness.graph.requests).toEqual([]);
    expect(
      events('information')
        .filter((e) => e.event === 'subscriptionRegistered')
        .map((e) => e.tenantId),
    ).toEqual([tenant, tenant]);

    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(
      graph
        .patches()
        .map((p) => [p.path.split('/').pop(), tokenTenant(p.token)])
        .sort(),
    ).toEqual([
      ['t-1', tenant],
      ['t-2', tenant],
    ]);
    for (const id of ['t-1', 't-2']) expect(renewedOnGraph({ id, tenant, expiresAt })).toBe(true);
    expect(harness.graph.subscriptions.get('home-1')!.expirationDateTime).toEqual(expiresAt);
    expect(harness.graph.violations).toEqual([]);
  });
});

describe('a tenant removed', () => {
  /** Two customer tenants and the home one, their subscriptions adopted as an operator would. */
  async function threeTenants() {
    const [gone, stays] = [await onboard('Gone'), await onboard('Stays')];
    const expiresAt = hoursFrom(new Date(), 48);
    const ids = { gone: ['g-1', 'g-2', 'g-3'], stays: ['s-1', 's-2'], home: ['h-1'] };
    for (const [tenant, list] of [
      [gone, ids.gone],
      [stays, ids.stays],
      [undefined, ids.home],
    ] as const) {
      for (const id of list)
        graphOf(tenant).add({
          id,
          resource: `users/${id}/mailFolders('Inbox')/messages`,
          expirationDateTime: expiresAt,
        });
      await adopt(operations(), 'default', tenant ? { tenant } : {});
    }
    for (const graph of [harness.graph, harness.graph.tenant(gone), harness.graph.tenant(stays)])
      graph.requests.length = 0;
    return { gone, stays, ids };
  }

  it('deletes its subscriptions on its own Graph, then its rows, then the tenant; the others stay untouched', async () => {
    const { gone, stays, ids } = await threeTenants();
    // At each DELETE: is the subscription's row, and the tenant's, still there?
    const seen: { id: string; row: boolean; tenant: boolean }[] = [];
    harness.graph.tenant(gone).onRequest = async (request) => {
      if (request.method !== 'DELETE') return;
      const id = request.path.split('/').pop()!;
      const row = await harness.subscriptionsTable.getEntity('default', id).then(
        () => true,
        () => false,
      );
      seen.push({ id, row, tenant: (await tenantRows()).some((t) => t.rowKey === gone) });
    };

    const result = await removeTenant(operations(), gone);

    expect(result).toMatchObject({ id: gone, failed: [], tenant: 'deleted' });
    expect(result.removed.sort()).toEqual(ids.gone);
    expect(seen.map((s) => s.id).sort()).toEqual(ids.gone);
    expect(seen.every((s) => s.row && s.tenant)).toBe(true);
    expect(harness.graph.tenant(gone).subscriptions.size).toBe(0);
    // Every DELETE went to that tenant's Graph, with its token; none to the others'.
    expect(
      harness.graph
        .tenant(gone)
        .requests.filter((r) => r.method === 'DELETE')
        .map((r) => tokenTenant(r.token)),
    ).toEqual([gone, gone, gone]);
    expect(harness.graph.tenant(stays).requests).toEqual([]);
    expect(harness.graph.requests).toEqual([]);
    expect([...harness.graph.tenant(stays).subscriptions.keys()].sort()).toEqual(ids.stays);
    expect([...harness.graph.subscriptions.keys()]).toEqual(ids.home);
    expect((await subscriptionRows()).map((r) => [r.rowKey, r.tenantId]).sort()).toEqual([
      ['h-1', undefined],
      ['s-1', stays],
      ['s-2', stays],
    ]);
    expect((await tenantRows()).map((t) => t.rowKey)).toEqual([stays]);
    expect(events('information')).toContainEqual(
      expect.objectContaining({ event: 'tenantRemoved', tenantId: gone, subscriptions: 3 }),
    );
    expect(harness.graph.violations).toEqual([]);
  });

  it('keeps the tenant while a subscription could not be deleted, and a second removal finishes', async () => {
    process.env.GRAPH_MAX_ATTEMPTS = '2';
    const { gone, stays, ids } = await threeTenants();
    harness.graph.tenant(gone).inject({ method: 'DELETE', subscriptionId: 'g-2', status: 503, times: Infinity });

    const first = await removeTenant(operations(), gone);

    expect(first).toMatchObject({
      id: gone,
      tenant: 'kept',
      failed: [{ id: 'g-2', error: expect.stringMatching(/503/) }],
    });
    expect(first.removed.sort()).toEqual(['g-1', 'g-3']);
    expect([...harness.graph.tenant(gone).subscriptions.keys()]).toEqual(['g-2']);
    expect((await subscriptionRows()).map((r) => r.rowKey).sort()).toEqual(['g-2', 'h-1', 's-1', 's-2']);
    expect((await tenantRows()).map((t) => t.rowKey).sort()).toEqual([gone, stays].sort());
    expect(events('information').filter((e) => e.event === 'tenantRemoved')).toEqual([]);

    harness.graph.tenant(gone).faults.length = 0;
    const second = await removeTenant(operations(), gone);

    expect(second).toMatchObject({ id: gone, removed: ['g-2'], failed: [], tenant: 'deleted' });
    expect(harness.graph.tenant(gone).subscriptions.size).toBe(0);
    expect((await subscriptionRows()).map((r) => r.rowKey).sort()).toEqual(['h-1', ...ids.stays]);
    expect((await tenantRows()).map((t) => t.rowKey)).toEqual([stays]);
    expect(harness.graph.tenant(stays).requests).toEqual([]);
    expect(harness.graph.requests).toEqual([]);
  });
});

describe('the single-tenant default (no MULTI_TENANT_APP_CLIENT_ID)', () => {
  it('fails a row naming a tenant alone, saying which setting is missing; the home rows renew', async () => {
    for (const name of Object.keys(tenancySettings)) delete process.env[name];
    const stranger = randomUUID();
    harness.graph.tenant(stranger);
    const home = await storeDue(undefined, 3);
    const [alien] = await storeDue(stranger, 1);

    await expect(harness.runTimer()).resolves.toBeUndefined();

    expect(home.filter((row) => !renewedOnGraph(row))).toEqual([]);
    expect(renewedOnGraph(alien!)).toBe(false);
    expect(harness.graph.tenant(stranger).requests).toEqual([]);
    expect(harness.entra.requests).toEqual([]);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', due: 4, renewed: 3, failed: 1 });
    const unavailable = events('error').filter((e) => e.event === 'tenantUnavailable');
    expect(unavailable).toEqual([expect.objectContaining({ tenantId: stranger, due: 1, failed: 1 })]);
    expect(unavailable[0]!.error).toContain('MULTI_TENANT_APP_CLIENT_ID');
    // Without HOME_TENANT_ID the home tenant is called `home` in the event lines, as before.
    const renewed = events('information').filter((e) => e.event === 'subscriptionRenewed');
    expect(renewed.map((e) => e.tenantId)).toEqual(['home', 'home', 'home']);
    expect(await tenantRows()).toEqual([]);
  });
});
