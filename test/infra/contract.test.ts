import { app } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { findIana } from 'windows-iana';
import { loadConfig, SETTINGS } from '../../src/config';
import { appSettings, bicepFiles, conditionalAppSettings, readRepoFile, requiredAzd, version } from '../support/bicep';

// The infra and the code drift apart silently: no Bicep compiler or Azure here, so these tests
// read both and fail when they disagree.
const functionBicep = readRepoFile('infra/app/function.bicep');
const settings = await appSettings(functionBicep);
const conditional = await conditionalAppSettings(functionBicep);
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
  notificationUrl: 'https://consumer.contoso.example/api/notifications',
  graphUserId: '8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11',
  graphMaxLifetimes: 'outlook=10080; outlook+rich=1440',
  'tenant().tenantId': '72f988bf-86f1-41af-91ab-2d7cd011db47',
  multiTenantAppClientId: '3c1b7e2a-5d4f-4a6b-8c9d-0e1f2a3b4c5d',
};

/** What App Service itself sets in the app's environment; here as in a national cloud (Azure Government). */
const platform = {
  IDENTITY_ENDPOINT: 'http://127.0.0.1:41000/msi/token',
  WEBSITE_HOSTNAME: 'func-abc123.azurewebsites.us',
};

function resolved(expression: string): string {
  // App Service puts the secret itself in a setting that holds a Key Vault reference.
  if (expression.startsWith("'@Microsoft.KeyVault(")) return 'a-client-state-as-the-vault-holds-it-0123456789';
  const literal = /^'([^']*)'$/.exec(expression);
  if (literal) return literal[1]!.replace(/\$\{(\w+)\}/g, (_, name: string) => deployed[name] ?? `<${name}>`);
  return deployed[expression] ?? `<${expression}>`;
}

/** The app's environment in Azure: the settings the infra sets, as deployed, and the platform's own. */
function environmentInAzure(multiTenant: boolean) {
  const set = [...settings].filter(([name]) => multiTenant || !conditional.has(name));
  return { ...Object.fromEntries(set.map(([name, value]) => [name, resolved(value)])), ...platform };
}
/** As a default (single-tenant) deployment sets it. */
const inAzure = environmentInAzure(false);

describe('app settings the infra sets', () => {
  it('are read from the syntax tree, however they are laid out', async () => {
    const sample =
      "resource s 'x@1' = {\n  properties: {\n    appSettings: [\n      { name: 'A', value: a }\n      {\n        name: 'B'\n        value: 'b-${c}'\n      }\n    ]\n  }\n}\n";
    expect(await appSettings(sample)).toEqual(
      new Map([
        ['A', 'a'],
        ['B', "'b-${c}'"],
      ]),
    );
  });

  it('give the config module a valid configuration (identity-based tables, the user-assigned identity)', () => {
    const config = loadConfig(inAzure);
    expect(config.storage).toEqual({ kind: 'endpoint', endpoint: 'https://stabc123.table.core.windows.net' });
    expect(config.managedIdentityClientId).toBe(deployed.identityClientId);
    expect(config.schedule.timeZone).toBe('Europe/Paris');
    expect(config.webhook).toMatchObject({ clientState: expect.any(String) });
    expect(config.webhookProblem).toBeUndefined();
  });

  it("point new subscriptions at this app's lifecycle route, on the host name the platform gives it in any cloud", async () => {
    const http = vi.spyOn(app, 'http').mockImplementation(() => undefined);
    await import('../../src/functions/lifecycleNotifications');
    const route = http.mock.calls.find(([name]) => name === 'lifecycleNotifications')![1].route;
    http.mockRestore();
    expect(settings.has('WEBHOOK_LIFECYCLE_URL')).toBe(false);
    expect(loadConfig(inAzure).webhook.lifecycleUrl).toBe(`https://${platform.WEBSITE_HOSTNAME}/api/${route}`);
  });

  it('build no host name of their own, which would hold in the public cloud only', () => {
    for (const { file, text } of allInfra) expect(text, file).not.toMatch(/azurewebsites\.net/);
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
  const secureParams = allInfra.flatMap(({ text }) =>
    [...text.matchAll(/@secure\(\)\s*(?:@\w+\([^)]*\)\s*)*param (\w+)/g)].map((m) => m[1]!),
  );

  it('has secure parameters to check', () => expect(secureParams).toEqual(['webhookClientState']));

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
    [
      'host storage through the identity',
      settings.get('AzureWebJobsStorage__credential') === "'managedidentity'",
      'storageBlobDataOwner',
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    ],
    [
      'the tables through TABLES_ENDPOINT',
      settings.has('TABLES_ENDPOINT'),
      'storageTableDataContributor',
      '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    ],
    [
      'Entra-authenticated telemetry',
      /Authorization=AAD/.test(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING') ?? ''),
      'monitoringMetricsPublisher',
      '3913510d-42f4-4e42-8a64-420c390055eb',
    ],
    [
      'the renewal queue and its triggers through the identity',
      settings.has('AzureWebJobsStorage__queueServiceUri') && settings.has('RENEWAL_QUEUE'),
      'storageQueueDataContributor',
      '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    ],
    [
      'Key Vault references',
      [...settings.values()].some((v) => v.includes('@Microsoft.KeyVault(')),
      'keyVaultSecretsUser',
      '4633458b-17de-408a-b874-0445c86b69e6',
    ],
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
    expect(JSON.parse(readRepoFile('infra/main.parameters.json')).parameters.graphAppRoles.value).toEqual([
      'Mail.Read',
    ]);
    expect(JSON.parse(readRepoFile('infra/bicepconfig.json')).extensions.microsoftGraphV1).toMatch(
      /microsoftgraph\/v1\.0:/,
    );
  });

  it("retries the Graph grant on the error a new identity's replication delay gives (msgraph-bicep-types#193)", () => {
    const graph = readRepoFile('infra/app/graph-permissions.bicep');
    const retry =
      /^@retryOn\(\['BadRequest'\], (\d+)\)\nresource grants 'Microsoft\.Graph\/appRoleAssignedTo@v1\.0'/m.exec(graph);
    expect(retry).not.toBeNull();
    // The decorator's cap (learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-retryon).
    expect(Number(retry![1])).toBeLessThanOrEqual(30);
  });

  it('requires an azd whose Bicep has @retryOn out of its experimental flag (Bicep 0.45.6; azd 1.28.1 brings 0.45.15)', () => {
    expect(requiredAzd()).toBeGreaterThanOrEqual(version('1.28.1'));
  });

  it('grants after the Function App is created, giving the new identity minutes to replicate first', () => {
    const grant = /module graphPermissions 'app\/graph-permissions\.bicep' = [^\n]*\{([\s\S]*?)\n\}/.exec(
      readRepoFile('infra/main.bicep'),
    )![1]!;
    expect(grant).toMatch(/dependsOn: \[function\]/);
  });
});

describe('a first deployment alerts no one: provision, deploy, first run, then the monitors', () => {
  // On a first `azd up` the monitors exist before the code and its first run do, and the status
  // (so the health answer) calls "no run has finished yet" unhealthy. Absences would alert.
  const alerts = readRepoFile('infra/app/alerts.bicep');
  const logAlerts = [
    ...alerts.matchAll(
      /name: '([\w-]+)'\n\s+description: [^\n]+\n[\s\S]*?operator: '(\w+)'\n\s+threshold: (\d+)\n\s+query: '''([\s\S]*?)'''/g,
    ),
  ].map((m) => ({ name: m[1]!, operator: m[2]!, threshold: Number(m[3]), query: m[4]! }));
  const hooks = { sh: readRepoFile('infra/hooks/postdeploy.sh'), ps1: readRepoFile('infra/hooks/postdeploy.ps1') };

  it('creates the availability test off, and otherwise keeps the state it has in Azure: no parameter, no local file decides', () => {
    // this.existingResource(): the test before this deployment, null when this deployment creates it.
    expect(alerts).toMatch(/^ {4}Enabled: this\.existingResource\(\)\.\?properties\.\?Enabled \?\? false$/m);
    expect(alerts.match(/^ {4}Enabled: /gm)).toHaveLength(1);
    for (const { file, text } of allInfra)
      expect(text, file).not.toMatch(/availabilityTestEnabled|AVAILABILITY_TEST_ENABLED/);
    expect(readRepoFile('infra/main.parameters.json')).not.toMatch(/AVAILABILITY_TEST/);
  });

  it('needs a Bicep where the this namespace is GA (0.44.1): azd 1.28.1 brings 0.45.15', () => {
    expect(requiredAzd()).toBeGreaterThanOrEqual(version('1.28.1'));
  });

  // The wait ends at the first 200, so a healthy first deployment's test starts on an app that
  // answers 200; one still unhealthy when the wait is over gets the test all the same, and alerts.
  it.each(Object.entries(hooks))(
    'has postdeploy (%s) turn it on only after the first run was taken and the wait for a 200 is over',
    (_, hook) => {
      const run = hook.indexOf('/admin/functions/renewSubscriptions');
      const healthy = hook.search(
        /until_status 200 curl_with 'Accept: application\/json' "\$HEALTH_URL"|Until-Status '200' \{ Invoke-WebRequest -Uri \$env:HEALTH_URL/,
      );
      const armed = hook.search(
        /until_status '200 201' curl_with "Authorization: Bearer \$token" --request PUT|Until-Status '200\|201' \{ Invoke-WebRequest -Method Put -Uri \$webtest/,
      );
      expect(run).toBeGreaterThan(-1);
      expect(healthy).toBeGreaterThan(run);
      expect(armed).toBeGreaterThan(healthy);
      expect(hook.indexOf('AVAILABILITY_TEST_ID')).toBeGreaterThan(-1);
    },
  );

  it('keeps no state of its own on this machine: no postdown hook, no azd env set', () => {
    expect(readRepoFile('azure.yaml')).not.toMatch(/postdown|AVAILABILITY_TEST/);
    for (const hook of Object.values(hooks)) expect(hook).not.toMatch(/azd env set/);
  });

  it("alerts on availability from that test's results alone, so none while it is off", () => {
    expect(alerts).toMatch(
      /'odata\.type': 'Microsoft\.Azure\.Monitor\.WebtestLocationAvailabilityCriteria'\n\s+webTestId: statusTest\.id/,
    );
  });

  it('counts 26 h without a finished run only once the availability test has results from over 26 h ago', () => {
    const absence = logAlerts.find((alert) => alert.name === 'no-renewal-run-26h')!;
    expect(absence.query).toMatch(
      /^let watchedFor26h = toscalar\(availabilityResults \| where timestamp < ago\(26h\) \| count\) > 0;$/m,
    );
    expect(absence.query).toMatch(/\| where finished == 0 and watchedFor26h\n$/);
    expect(absence).toMatchObject({ operator: 'GreaterThan', threshold: 0 });
  });

  it('fires every other alert on an event a healthy first run does not log (it logs runStarted, noneDue, runFinished succeeded)', () => {
    const others = logAlerts.filter((alert) => alert.name !== 'no-renewal-run-26h');
    expect(others.map((alert) => alert.name)).toEqual(['renewal-run-failed', 'subscription-expired-or-failing']);
    for (const { operator, threshold, query } of others) {
      expect({ operator, threshold }).toEqual({ operator: 'GreaterThan', threshold: 0 });
      expect(query).not.toMatch(/runStarted|noneDue/);
      if (query.includes('"event":"runFinished"'))
        expect(query).toMatch(/"event":"runFinished"' and message contains '"outcome":"failed"'/);
    }
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

  it('checks the health answer at the route the function registers, anonymous, expecting 200', async () => {
    const http = vi.spyOn(app, 'http').mockImplementation(() => undefined);
    await import('../../src/functions/health');
    const options = http.mock.calls.find(([name]) => name === 'health')![1];
    http.mockRestore();
    // host.json keeps the default "api" route prefix.
    expect(JSON.parse(readRepoFile('host.json')).extensions?.http?.routePrefix).toBeUndefined();
    expect(options.authLevel).toBe('anonymous');
    expect(functionBicep).toContain(
      `healthUrl string = 'https://\${site.properties.defaultHostName}/api/${options.route}'`,
    );
    expect(readRepoFile('infra/main.bicep')).toMatch(/healthUrl: function\.outputs\.healthUrl/);
    expect(alerts).toMatch(/RequestUrl: healthUrl/);
    expect(alerts).toMatch(/ExpectedHttpStatusCode: 200/);
  });

  it('gives the availability test no key: no request header, nothing secure passed to the alerts', () => {
    expect(alerts).not.toMatch(/Headers:|x-functions-key|@secure\(\)/);
    const alertsModule = /module alerts 'app\/alerts\.bicep' = \{([\s\S]*?)\n\}/.exec(
      readRepoFile('infra/main.bicep'),
    )![1]!;
    expect(alertsModule).not.toMatch(/webhookClientState|[Kk]ey\b/);
  });

  it('hands azd the health URL beside the status URL, both on the host name of the cloud deployed to', () => {
    const main = readRepoFile('infra/main.bicep');
    expect(main).toMatch(/^output STATUS_URL string = function\.outputs\.statusUrl$/m);
    expect(main).toMatch(/^output HEALTH_URL string = function\.outputs\.healthUrl$/m);
    expect(functionBicep).toMatch(/^output statusUrl string = 'https:\/\/\$\{site\.properties\.defaultHostName\}\//m);
  });

  it('tags the app for azd with the service name azure.yaml deploys', () => {
    expect(readRepoFile('azure.yaml')).toMatch(/services:\n {2}api:\n[\s\S]*host: function/);
    expect(functionBicep).toMatch(/'azd-service-name': 'api'/);
  });

  it("lets a run use its whole budget inside host.json's functionTimeout, and calls a run abandoned only after it", async () => {
    const { ABANDONED_RUN_HOURS } = await import('../../src/renewal/status/readStatus');
    const [hours, minutes, seconds] = String(JSON.parse(readRepoFile('host.json')).functionTimeout)
      .split(':')
      .map(Number);
    const timeoutMs = ((hours! * 60 + minutes!) * 60 + seconds!) * 1000;
    const { MAX_RETRY_AFTER_MS } = await import('../../src/graph/retry');
    const defaults = loadConfig({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true' });
    // The budget stops new renewals; one already started may take every attempt, each up to the
    // request timeout plus the longest Retry-After it waits for.
    const inFlightMs = defaults.graph.maxAttempts * (defaults.graph.timeoutMs + MAX_RETRY_AFTER_MS);
    // Then what was not started goes to the renewal queue.
    const { HAND_OFF_ALLOWANCE_MS } = await import('../../src/renewal/run/run');
    expect(defaults.renewal.runBudgetMs + inFlightMs + HAND_OFF_ALLOWANCE_MS).toBeLessThanOrEqual(timeoutMs);
    expect(ABANDONED_RUN_HOURS * 3_600_000).toBeGreaterThan(timeoutMs);
  });

  it('never samples away warnings, errors, exceptions or requests (host.json)', () => {
    const host = JSON.parse(readRepoFile('host.json'));
    const excluded = String(host.logging.applicationInsights.samplingSettings.excludedTypes).split(';');
    expect(excluded).toEqual(expect.arrayContaining(['Trace', 'Exception', 'Request']));
  });
});

describe('many tenants (multiTenant, docs/tenants.md)', () => {
  const main = readRepoFile('infra/main.bicep');
  const app = readRepoFile('infra/app/multitenant-app.bicep');
  const parameters = JSON.parse(readRepoFile('infra/main.parameters.json')).parameters;
  const moduleBlock =
    /^module multiTenantApp 'app\/multitenant-app\.bicep' = if \(multiTenant\) \{\n([\s\S]*?)\n\}$/m.exec(main);
  const trust = /^ {2}resource \w+ 'federatedIdentityCredentials@v1\.0' = \{\n([\s\S]*?)\n {2}\}$/m.exec(app);

  it('is a bool parameter, false by default, that azd fills from MULTI_TENANT', () => {
    expect(main).toMatch(/^param multiTenant bool = false$/m);
    expect(parameters.multiTenant).toEqual({ value: '${MULTI_TENANT=false}' });
  });

  it('deploys the app registration only when true, and nothing else under that condition', () => {
    expect(moduleBlock).not.toBeNull();
    expect(main.match(/= if \(multiTenant\)/g)).toHaveLength(1);
    // A single-tenant deployment declares no resource it did not before: everything else ignores the parameter.
    const uses = main
      .split('\n')
      .filter((line) => /\bmultiTenant\b/.test(line) && !/^param multiTenant |^\s*\/\//.test(line));
    expect(uses.length).toBeGreaterThanOrEqual(4);
    for (const line of uses)
      expect(line).toMatch(/= if \(multiTenant\)|multiTenant \? multiTenantApp!\.outputs\.\w+ : ''/);
  });

  it('trusts the user-assigned identity the app runs as, and asks for the permissions that identity is granted', () => {
    expect(moduleBlock![1]).toMatch(/^ {4}identityPrincipalId: identity\.outputs\.principalId$/m);
    expect(moduleBlock![1]).toMatch(/^ {4}appRoles: graphAppRoles$/m);
    const grant = /module graphPermissions 'app\/graph-permissions\.bicep' = [^\n]*\{([\s\S]*?)\n\}/.exec(main)![1]!;
    expect(grant).toMatch(/appRoles: graphAppRoles/);
  });

  it('is a multi-tenant registration with the Microsoft Graph extension, asking for application permissions by the ids Graph publishes', () => {
    expect(app).toMatch(/^extension microsoftGraphV1$/m);
    expect(app).toMatch(/^resource app 'Microsoft\.Graph\/applications@v1\.0' = \{$/m);
    expect(app).toMatch(/^ {2}uniqueName: uniqueName$/m);
    expect(app).toMatch(/^ {2}signInAudience: 'AzureADMultipleOrgs'$/m);
    expect(app).toMatch(
      /^resource graph 'Microsoft\.Graph\/servicePrincipals@v1\.0' existing = \{\n {2}appId: graphAppId\n\}/m,
    );
    expect(app).toMatch(/^var graphAppId = '00000003-0000-0000-c000-000000000000'$/m);
    expect(app).toMatch(/resourceAppId: graphAppId\n/);
    expect(app).toMatch(
      /resourceAccess: \[for role in appRoles: \{ id: filter\(graph\.appRoles, r => r\.value == role\)\[0\]\.id, type: 'Role' \}\]/,
    );
    // No secret and no certificate: the trust below is its one credential.
    expect(app).not.toMatch(/passwordCredentials|keyCredentials/);
  });

  it("has a federated identity credential for the identity's token: this tenant's issuer, the identity's principal id, api://AzureADTokenExchange", () => {
    expect(trust).not.toBeNull();
    const body = trust![1]!;
    expect(body).toMatch(/^ {4}name: '\$\{app\.uniqueName\}\/[A-Za-z0-9][\w-]{2,119}'$/m);
    expect(body).toMatch(
      /^ {4}issuer: '\$\{environment\(\)\.authentication\.loginEndpoint\}\$\{tenant\(\)\.tenantId\}\/v2\.0'$/m,
    );
    expect(body).toMatch(/^ {4}subject: identityPrincipalId$/m);
    // The audience src/ asks the identity's token for (api://AzureADTokenExchange/.default): exactly one.
    expect(body).toMatch(/^ {4}audiences: \['api:\/\/AzureADTokenExchange'\]$/m);
  });

  it('hands azd the client id and the admin consent URL, empty in a single-tenant deployment', () => {
    expect(main).toMatch(
      /^output MULTI_TENANT_APP_CLIENT_ID string = multiTenant \? multiTenantApp!\.outputs\.clientId : ''$/m,
    );
    expect(main).toMatch(
      /^output ADMIN_CONSENT_URL string = multiTenant \? multiTenantApp!\.outputs\.adminConsentUrl : ''$/m,
    );
    expect(app).toMatch(/^output clientId string = app\.appId$/m);
  });

  it('gives the admin consent URL in the per-tenant form the app builds for a tenant (authority/{tenant}/adminconsent?client_id=)', () => {
    const url = /^output adminConsentUrl string = '(.*)'$/m.exec(app)![1]!;
    const tenantId = 'f2b8c3d4-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
    const clientId = deployed.multiTenantAppClientId!;
    // environment().authentication.loginEndpoint ends with a slash: https://login.microsoftonline.com/
    const filled = url
      .replace('${environment().authentication.loginEndpoint}', 'https://login.microsoftonline.com/')
      .replace('${app.appId}', clientId)
      .replace('{tenant}', tenantId);
    expect(filled).toBe(`https://login.microsoftonline.com/${tenantId}/adminconsent?client_id=${clientId}`);
  });

  it('sets MULTI_TENANT_APP_CLIENT_ID only in a multi-tenant deployment, HOME_TENANT_ID always', () => {
    expect(settings.get('MULTI_TENANT_APP_CLIENT_ID')).toBe('multiTenantAppClientId');
    expect(conditional).toEqual(new Map([['MULTI_TENANT_APP_CLIENT_ID', '!(empty(multiTenantAppClientId))']]));
    expect(functionBicep).toMatch(/^param multiTenantAppClientId string = ''$/m);
    expect(main).toMatch(/^ {4}multiTenantAppClientId: multiTenant \? multiTenantApp!\.outputs\.clientId : ''$/m);
    expect(settings.get('HOME_TENANT_ID')).toBe('tenant().tenantId');
    expect(inAzure).not.toHaveProperty('MULTI_TENANT_APP_CLIENT_ID');
    expect(inAzure).toHaveProperty('HOME_TENANT_ID', deployed['tenant().tenantId']);
  });

  it('give the config module a valid configuration in a multi-tenant deployment too', () => {
    const multiTenant = environmentInAzure(true);
    expect(multiTenant).toHaveProperty('MULTI_TENANT_APP_CLIENT_ID', deployed.multiTenantAppClientId);
    expect(() => loadConfig(multiTenant)).not.toThrow();
  });
});
