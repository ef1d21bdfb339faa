import { describe, expect, it } from 'vitest';
import { DOCUMENTED_RULES } from '../../src/renewal/policy/documentedLifetimes';
import { GraphRules } from '../../src/renewal/policy/graphRules';
import { CensusTally } from '../../src/renewal/status/summary';
import { tenantsReport } from '../../src/renewal/status/tenants';
import type { StoredSubscription } from '../../src/renewal/subscription';

const NOW = new Date('2026-12-01T09:00:00Z');
const HOUR = 3_600_000;
const CONTOSO = '11111111-1111-4111-8111-111111111111';
const FABRIKAM = '22222222-2222-4222-8222-222222222222';
const TENANCY = {
  homeTenant: 'home',
  appClientId: '33333333-3333-4333-8333-333333333333',
  authorityHost: 'https://login.microsoftonline.com',
};

function row(id: string, hours: number, extra: Partial<StoredSubscription> = {}) {
  return {
    ok: true as const,
    subscription: {
      partitionKey: 'default',
      id,
      resource: `users/${id}/mailFolders('Inbox')/messages`,
      expirationDateTime: new Date(NOW.getTime() + hours * HOUR),
      state: 'active' as const,
      consecutiveFailures: 0,
      etag: '*',
      ...extra,
    },
  };
}

function census(rows: ReturnType<typeof row>[]) {
  const tally = new CensusTally(NOW, {
    rules: new GraphRules(DOCUMENTED_RULES),
    schedules: {
      daily: { nextRunAt: new Date(NOW.getTime() + 24 * HOUR), marginHours: 36 },
      short: { nextRunAt: new Date(NOW.getTime() + 600_000), enabled: true },
    },
    marginHours: 36,
    lifetimeHours: 72,
  });
  for (const r of rows) tally.add(r);
  return tally.result().tenants;
}

describe('the status per tenant', () => {
  it('counts each tenant apart, the home tenant first, with its soonest expiry', () => {
    const tenants = census([
      row('h1', 10),
      row('c1', 50, { tenantId: CONTOSO }),
      row('c2', 5, { tenantId: CONTOSO, consecutiveFailures: 2 }),
      row('c3', -1, { tenantId: CONTOSO, state: 'expired' }),
      row('f1', 100, { tenantId: FABRIKAM }),
    ]);

    expect(tenants).toEqual([
      expect.objectContaining({ tenantId: null, total: 1, active: 1 }),
      expect.objectContaining({
        tenantId: CONTOSO,
        total: 3,
        active: 2,
        expired: 1,
        failing: 1,
        due_before_next_run: 2,
        soonestExpiration: new Date(NOW.getTime() + 5 * HOUR),
      }),
      expect.objectContaining({ tenantId: FABRIKAM, total: 1, active: 1, due_before_next_run: 0 }),
    ]);
  });

  it('names a tenant that gives no token, with the URL its admin must open, as a problem', () => {
    const report = tenantsReport(
      census([row('c1', 50, { tenantId: CONTOSO }), row('f1', 50, { tenantId: FABRIKAM })]),
      [
        {
          id: CONTOSO,
          displayName: 'Contoso',
          addedAt: NOW,
          consentState: 'missing',
          lastErrorAt: NOW,
          lastErrorMessage: 'AADSTS700016: …',
        },
        { id: FABRIKAM, addedAt: NOW, consentState: 'granted', lastTokenAt: NOW },
      ],
      TENANCY,
      NOW,
    );

    const url = `https://login.microsoftonline.com/${CONTOSO}/adminconsent?client_id=${TENANCY.appClientId}`;
    expect(report.problems).toEqual([
      {
        kind: 'tenant',
        text: `Tenant ${CONTOSO} (Contoso) gives no token since ${NOW.toISOString()}: its 1 active subscription(s) are not being renewed.`,
        what_to_do: expect.stringContaining(url),
      },
    ]);
    expect(report.tenants.map((t) => [t.tenant_id, t.consent, t.active])).toEqual([
      ['home', 'managedIdentity', 0],
      [CONTOSO, 'missing', 1],
      [FABRIKAM, 'granted', 1],
    ]);
    expect(report.tenants[1]).toMatchObject({
      consent_url: url,
      last_error: 'AADSTS700016: …',
      display_name: 'Contoso',
    });
  });

  it('names rows of a tenant that was never added', () => {
    const report = tenantsReport(census([row('c1', 50, { tenantId: CONTOSO })]), [], TENANCY, NOW);

    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'tenant',
        text: expect.stringContaining(`tenant ${CONTOSO}, which was never added`),
      }),
    ]);
    expect(report.tenants.at(-1)).toMatchObject({ tenant_id: CONTOSO, consent: 'notAdded' });
  });

  it("counts rows naming the home tenant by its id with the home tenant's", () => {
    const home = { ...TENANCY, homeTenant: '44444444-4444-4444-8444-444444444444' };
    const report = tenantsReport(census([row('h1', 10), row('h2', 5, { tenantId: home.homeTenant })]), [], home, NOW);

    expect(report.problems).toEqual([]);
    expect(report.tenants).toEqual([
      expect.objectContaining({
        tenant_id: home.homeTenant,
        home: true,
        total: 2,
        active: 2,
        soonest_expiration: new Date(NOW.getTime() + 5 * HOUR).toISOString(),
      }),
    ]);
  });

  it('says when a tenant gave no token for another reason than consent, and leaves its consent as it was', () => {
    const report = tenantsReport(
      census([row('c1', 50, { tenantId: CONTOSO })]),
      [
        {
          id: CONTOSO,
          addedAt: NOW,
          consentState: 'granted',
          lastTokenAt: new Date(NOW.getTime() - HOUR),
          lastErrorAt: NOW,
          lastErrorMessage: 'No Microsoft Graph token within 20 s.',
        },
      ],
      TENANCY,
      NOW,
    );

    expect(report.tenants[1]).toMatchObject({
      consent: 'granted',
      last_error: 'No Microsoft Graph token within 20 s.',
    });
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'tenant', text: expect.stringContaining('for a reason other than consent') }),
    ]);
  });

  it('shows a tenant added with no subscriptions yet, and says nothing of a token that came after an error', () => {
    const report = tenantsReport(
      [],
      [
        {
          id: CONTOSO,
          addedAt: NOW,
          consentState: 'granted',
          lastTokenAt: NOW,
          lastErrorAt: new Date(NOW.getTime() - HOUR),
          lastErrorMessage: 'old',
        },
      ],
      TENANCY,
      NOW,
    );

    expect(report.problems).toEqual([]);
    expect(report.tenants[1]).toMatchObject({
      tenant_id: CONTOSO,
      total: 0,
      last_error: null,
      soonest_expiration: null,
    });
  });

  it('has nothing to say of a deployment with its own tenant only', () => {
    const report = tenantsReport(census([row('h1', 50)]), [], { ...TENANCY, appClientId: undefined }, NOW);

    expect(report.problems).toEqual([]);
    expect(report.tenants).toEqual([expect.objectContaining({ tenant_id: 'home', home: true, active: 1 })]);
  });
});
