import { app } from '@azure/functions';
import { findIana } from 'windows-iana';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config';
import { appSettings, bicepFiles, readRepoFile } from '../support/bicep';

// The infra and the code drift apart silently: no Bicep compiler or Azure here, so these tests
// read both and fail when they disagree.
const functionBicep = readRepoFile('infra/app/function.bicep');
const settings = await appSettings(functionBicep);
const allInfra = bicepFiles().map((file) => ({ file, text: readRepoFile(file) }));

/** Settings the platform or the host reads, not our config module. */
const PLATFORM_SETTINGS = [
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_WORKER_RUNTIME',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'AzureWebJobsStorage__credential',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

/** What Azure would put in each setting, for the expressions the Bicep computes at deployment. */
const deployed: Record<string, string> = {
  tableEndpoint: 'https://stabc123.table.core.windows.net/',
  identityClientId: '6a1f9c1e-3b7e-4d5e-9b8e-1c2d3e4f5a6b',
  blobEndpoint: 'https://stabc123.blob.core.windows.net/',
  queueEndpoint: 'https://stabc123.queue.core.windows.net/',
  graphBaseUrl: 'https://graph.microsoft.com',
  name: 'func-abc123',
  notificationUrl: 'https://consumer.contoso.example/api/notifications',
  graphUserId: '8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11',
};

function resolved(expression: string): string {
  // App Service puts the secret itself in a setting that holds a Key Vault reference.
  if (expression.startsWith("'@Microsoft.KeyVault(")) return 'a-client-state-as-the-vault-holds-it-0123456789';
  const literal = /^'([^']*)'$/.exec(expression);
  if (literal) return literal[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => deployed[name] ?? `<${name}>`);
  return deployed[expression] ?? `<${expression}>`;
}

describe('app settings the infra sets', () => {
  it('are read from the syntax tree, however they are laid out', async () => {
    const sample = "resource s 'x@1' = {\n  properties: {\n    appSettings: [\n      { name: 'A', value: a }\n      {\n        name: 'B'\n        value: 'b-${c}'\n      }\n    ]\n  }\n}\n";
    expect(await appSettings(sample)).toEqual(new Map([['A', 'a'], ['B', "'b-${c}'"]]));
  });

  it('give the config module a valid configuration (identity-based tables, the user-assigned identity)', () => {
    const env = Object.fromEntries([...settings].map(([name, value]) => [name, resolved(value)]));
    const config = loadConfig({ ...env, IDENTITY_ENDPOINT: 'http://127.0.0.1:41000/msi/token' });
    expect(config.storage).toEqual({ kind: 'endpoint', endpoint: 'https://stabc123.table.core.windows.net' });
    expect(config.managedIdentityClientId).toBe(deployed.identityClientId);
    expect(config.schedule.timeZone).toBe('Europe/Paris');
    expect(config.webhook).toMatchObject({
      clientState: expect.any(String),
      lifecycleUrl: 'https://func-abc123.azurewebsites.net/api/webhooks/lifecycle',
    });
  });

  it('point new subscriptions at the lifecycle route the app registers', async () => {
    const http = vi.spyOn(app, 'http').mockImplementation(() => undefined);
    await import('../../src/functions/lifecycleNotifications');
    const route = http.mock.calls.find(([name]) => name === 'lifecycleNotifications')![1].route;
    http.mockRestore();
    expect(new URL(resolved(settings.get('WEBHOOK_LIFECYCLE_URL')!)).pathname).toBe(`/api/${route}`);
  });

  it('are each either one of ours (README table) or one the platform reads: no typos', () => {
    for (const name of settings.keys()) expect([...SETTINGS, ...PLATFORM_SETTINGS]).toContain(name);
  });

  it('use identity-based storage, never a connection string', () => {
    expect(settings.has('TABLES_ENDPOINT')).toBe(true);
    expect(settings.has('TABLES_CONNECTION_STRING')).toBe(false);
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(resolved(settings.get('AzureWebJobsStorage__credential')!)).toBe('managedidentity');
  });
});

describe('the time zone', () => {
  const plan = /resource plan 'Microsoft.Web\/serverfarms@[^']+' = \{([\s\S]*?)\n\}/.exec(functionBicep)![1]!;
  const linux = /reserved: true/.test(plan) && /kind: 'functionapp,linux'/.test(functionBicep);
  const sku = /sku: \{ name: '(\w+)'/.exec(plan)![1]!;
  const zone = resolved(settings.get('WEBSITE_TIME_ZONE')!);

  it('is on a plan where WEBSITE_TIME_ZONE works (not Linux Consumption or Flex Consumption)', () => {
    if (linux) expect(sku).not.toMatch(/^(Y1|FC1)$/);
  });

  it("matches the plan's OS: an IANA name on Linux, a Windows id on Windows", () => {
    if (linux) expect(zone).toBe('Europe/Paris');
    else expect(findIana(zone)).toContain('Europe/Paris');
  });

  it('keeps the Dedicated plan awake, since only a running host fires timers', () => {
    expect(functionBicep).toMatch(/alwaysOn: true/);
  });

  it('runs Node 22', () => expect(functionBicep).toMatch(/linuxFxVersion: 'Node\|22'/));
});

describe('secrets', () => {
  const secureParams = allInfra.flatMap(({ text }) => [...text.matchAll(/@secure\(\)\s*(?:@\w+\([^)]*\)\s*)*param (\w+)/g)].map((m) => m[1]!));

  it('has secure parameters to check', () => expect(secureParams).toEqual(expect.arrayContaining(['webhookClientState', 'availabilityTestKey'])));

  it.each(bicepFiles())('%s outputs nothing derived from a secret, a key or a connection string', (file) => {
    const text = readRepoFile(file);
    for (const [, name, expression] of text.matchAll(/^output (\w+) \w+ = (.+)$/gm)) {
      expect(name).not.toMatch(/key|secret|password/i);
      for (const secret of secureParams) expect(expression).not.toMatch(new RegExp(`\\b${secret}\\b`));
      expect(expression).not.toMatch(/listKeys|listSecrets|AccountKey/);
    }
  });

  it('never reads a storage key anywhere', () => {
    for (const { text } of allInfra) expect(text).not.toMatch(/listKeys\(|AccountKey=|primaryKey/);
  });

  it('puts the client state in an app setting only as a Key Vault reference', () => {
    expect(settings.get('WEBHOOK_CLIENT_STATE')).toBe("'@Microsoft.KeyVault(SecretUri=${clientStateUri})'");
    expect(functionBicep).toMatch(/keyVaultReferenceIdentity: identityId/);
    for (const value of settings.values()) {
      for (const secret of secureParams) expect(value).not.toMatch(new RegExp(`\\b${secret}\\b`));
    }
  });

  it('turns off shared-key storage access, local auth on Application Insights, and publishing passwords', () => {
    expect(readRepoFile('infra/app/storage.bicep')).toMatch(/allowSharedKeyAccess: false/);
    expect(readRepoFile('infra/app/monitoring.bicep')).toMatch(/DisableLocalAuth: true/);
    expect(functionBicep.match(/basicPublishingCredentialsPolicies[\s\S]*?allow: false/g)).toHaveLength(2);
  });
});

describe('roles', () => {
  const rbac = readRepoFile('infra/app/rbac.bicep');
  const granted = new Set([...rbac.matchAll(/roleDefinitions', roles\.(\w+)\)/g)].map((m) => m[1]!));
  const roleIds = Object.fromEntries([...rbac.matchAll(/^\s*(\w+): '([0-9a-f-]{36})'/gm)].map((m) => [m[1]!, m[2]!]));

  // What each piece of the app needs, derived from the settings it is given.
  const needs: [string, boolean, string, string][] = [
    ['host storage through the identity', settings.get('AzureWebJobsStorage__credential') === "'managedidentity'", 'storageBlobDataOwner', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'],
    ['the tables through TABLES_ENDPOINT', settings.has('TABLES_ENDPOINT'), 'storageTableDataContributor', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'],
    ['Entra-authenticated telemetry', /Authorization=AAD/.test(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? ''), 'monitoringMetricsPublisher', '3913510d-42f4-4e42-8a64-420c390055eb'],
    ['the renewal queue and its triggers through the identity', settings.has('AzureWebJobsStorage__queueServiceUri') && settings.has('RENEWAL_QUEUE'), 'storageQueueDataContributor', '974c5e8b-45b9-4653-ba55-5f855dd0fb88'],
    ['Key Vault references', [...settings.values()].some((v) => v.includes('@Microsoft.KeyVault(')), 'keyVaultSecretsUser', '4633458b-17de-408a-b874-0445c86b69e6'],
  ];

  it.each(needs)('grants what %s needs', (_, needed, role, id) => {
    expect(needed).toBe(true);
    expect(granted).toContain(role);
    expect(roleIds[role]).toBe(id);
  });

  it('names every assignment with guid(scope, principal, role), for the identity as a service principal', () => {
    const assignments = rbac.match(/Microsoft\.Authorization\/roleAssignments/g) ?? [];
    expect(rbac.match(/name: guid\(\w+\.id, principalId, roles\.\w+\)/g)).toHaveLength(assignments.length);
    expect(rbac.match(/principalType: 'ServicePrincipal'/g)).toHaveLength(assignments.length);
  });

  it('grants the Graph application permission as an app-role assignment, Mail.Read by default', () => {
    const graph = readRepoFile('infra/app/graph-permissions.bicep');
    expect(graph).toMatch(/^extension microsoftGraphV1$/m);
    expect(graph).toMatch(/appId: '00000003-0000-0000-c000-000000000000'/);
    expect(graph).toMatch(/Microsoft\.Graph\/appRoleAssignedTo@v1\.0/);
    expect(JSON.parse(readRepoFile('infra/main.parameters.json')).parameters.graphAppRoles.value).toEqual(['Mail.Read']);
    expect(JSON.parse(readRepoFile('infra/bicepconfig.json')).extensions.microsoftGraphV1).toMatch(/microsoftgraph\/v1\.0:/);
  });
});

describe('monitoring', () => {
  const alerts = readRepoFile('infra/app/alerts.bicep');
  const events = new Set([...readRepoFile('src/renewal/events.ts').matchAll(/event: '([a-zA-Z]+)'/g)].map((m) => m[1]));

  it('alerts only on events the app logs', () => {
    const named = [...alerts.matchAll(/"event":"(?:\(([^)]+)\)|(\w+))"/g)].flatMap((m) => (m[1] ?? m[2]!).split('|'));
    expect(named.length).toBeGreaterThan(3);
    for (const name of named) expect(events).toContain(name);
  });

  it('checks the status endpoint at the route the function registers, expecting 200', async () => {
    const http = vi.spyOn(app, 'http').mockImplementation(() => undefined);
    await import('../../src/functions/schedulerStatus');
    const route = http.mock.calls.find(([name]) => name === 'schedulerStatus')![1].route;
    // host.json keeps the default "api" route prefix.
    expect(JSON.parse(readRepoFile('host.json')).extensions?.http?.routePrefix).toBeUndefined();
    expect(functionBicep).toContain(`statusUrl string = 'https://\${site.properties.defaultHostName}/api/${route}'`);
    expect(alerts).toMatch(/ExpectedHttpStatusCode: 200/);
    expect(alerts).toMatch(/key: 'x-functions-key'/);
  });

  it('tags the app for azd with the service name azure.yaml deploys', () => {
    expect(readRepoFile('azure.yaml')).toMatch(/services:\n {2}api:\n[\s\S]*host: function/);
    expect(functionBicep).toMatch(/'azd-service-name': 'api'/);
  });

  it("lets a run use its whole budget inside host.json's functionTimeout, and calls a run abandoned only after it", async () => {
    const { ABANDONED_RUN_HOURS } = await import('../../src/wiring');
    const [hours, minutes, seconds] = String(JSON.parse(readRepoFile('host.json')).functionTimeout).split(':').map(Number);
    const timeoutMs = ((hours! * 60 + minutes!) * 60 + seconds!) * 1000;
    const { MAX_RETRY_AFTER_MS } = await import('../../src/graph/retry');
    const defaults = loadConfig({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    // The budget stops new renewals; one already started may take every attempt, each up to the
    // request timeout plus the longest Retry-After it waits for.
    const inFlightMs = defaults.graph.maxAttempts * (defaults.graph.timeoutMs + MAX_RETRY_AFTER_MS);
    // Then what was not started goes to the renewal queue.
    const { HAND_OFF_ALLOWANCE_MS } = await import('../../src/renewal/run');
    expect(defaults.renewal.runBudgetMs + inFlightMs + HAND_OFF_ALLOWANCE_MS).toBeLessThanOrEqual(timeoutMs);
    expect(ABANDONED_RUN_HOURS * 3_600_000).toBeGreaterThan(timeoutMs);
  });

  it('never samples away warnings, errors, exceptions or requests (host.json)', () => {
    const host = JSON.parse(readRepoFile('host.json'));
    const excluded = String(host.logging.applicationInsights.samplingSettings.excludedTypes).split(';');
    expect(excluded).toEqual(expect.arrayContaining(['Trace', 'Exception', 'Request']));
  });
});
