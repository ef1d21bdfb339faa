import { describe, expect, it } from 'vitest';
import { servicesFor } from '../../src/compositionRoot/services';
import { ConfigError, loadConfig } from '../../src/config';

const AZURITE = 'UseDevelopmentStorage=true';
const base = { TABLES_CONNECTION_STRING: AZURITE };

function errorFor(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('needs only the table storage; everything else has a default', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      subscriptionsTable: 'subscriptions',
      runsTable: 'renewalruns',
      graph: { baseUrl: 'https://graph.microsoft.com', timeoutMs: 30_000, maxAttempts: 4, retryBaseMs: 1000 },
      renewal: { concurrency: 16, mailboxConcurrency: 4, marginHours: 36, lifetimeHours: 72 },
      schedule: { cron: '0 0 9 * * *', timeZone: 'UTC', timerDisabled: false },
      status: { maxRunAgeHours: 26 },
      managedIdentityClientId: undefined,
      managedIdentityEndpoint: undefined,
    });
  });

  it('keeps to the home tenant unless a multi-tenant app is set, and then needs the home tenant id', () => {
    expect(loadConfig(base).tenancy).toEqual({
      multiTenantAppClientId: undefined,
      homeTenantId: undefined,
      authorityHost: 'https://login.microsoftonline.com',
      tenantsTable: 'tenants',
      appWritesPerWindow: 2000,
      appListsPerWindow: 40,
    });
    const app = '33333333-3333-4333-8333-333333333333';
    const error = errorFor({ ...base, MULTI_TENANT_APP_CLIENT_ID: app });
    expect(error.setting).toBe('HOME_TENANT_ID');
    expect(error.message).toMatch(/must be set with MULTI_TENANT_APP_CLIENT_ID/);
    const home = '44444444-4444-4444-8444-44444444444A';
    expect(loadConfig({ ...base, MULTI_TENANT_APP_CLIENT_ID: app, HOME_TENANT_ID: home }).tenancy).toMatchObject({
      multiTenantAppClientId: app,
      homeTenantId: home.toLowerCase(),
    });
  });

  it('says how to configure storage when none is set', () => {
    expect(errorFor({}).message).toMatch(/^TABLES_ENDPOINT: .*TABLES_CONNECTION_STRING/);
  });

  it('refuses both storage settings at once', () => {
    expect(errorFor({ ...base, TABLES_ENDPOINT: 'https://acct.table.core.windows.net' }).setting).toBe(
      'TABLES_ENDPOINT',
    );
  });

  it('takes an https table endpoint for identity-based access', () => {
    expect(loadConfig({ TABLES_ENDPOINT: 'https://acct.table.core.windows.net/' }).storage).toEqual({
      kind: 'endpoint',
      endpoint: 'https://acct.table.core.windows.net',
    });
    expect(errorFor({ TABLES_ENDPOINT: 'http://acct.table.core.windows.net' }).message).toMatch(/https/);
  });

  it('never repeats a connection string it rejects (it holds a key)', () => {
    const secret = 'DefaultEndpointsProtocol=https;AccountKey=c2VjcmV0LWtleQ==';
    const error = errorFor({ TABLES_CONNECTION_STRING: 'garbage;' + secret.replace('AccountKey', 'Key') });
    expect(error.setting).toBe('TABLES_CONNECTION_STRING');
    expect(error.message).not.toContain('c2VjcmV0LWtleQ');
  });

  it.each([
    ['RENEWAL_CONCURRENCY', '0'],
    ['RENEWAL_CONCURRENCY', '2.5'],
    ['RENEWAL_CONCURRENCY', 'four'],
    ['RENEWAL_MARGIN_HOURS', '-1'],
    ['RENEWAL_LIFETIME_HOURS', '1e9'],
    ['GRAPH_TIMEOUT_SECONDS', '0'],
    ['GRAPH_MAX_ATTEMPTS', '11'],
    ['GRAPH_RETRY_BASE_SECONDS', 'soon'],
    ['STATUS_MAX_RUN_AGE_HOURS', 'NaN'],
    ['SUBSCRIPTIONS_TABLE', 'my-table'],
    ['RUNS_TABLE', '1runs'],
    ['GRAPH_BASE_URL', 'http://graph.microsoft.com'],
    ['GRAPH_BASE_URL', 'https://graph.microsoft.com/v1.0'],
    ['GRAPH_BASE_URL', 'not a url'],
    ['AZURE_CLIENT_ID', 'my-identity'],
    ['WEBSITE_TIME_ZONE', 'Paris'],
    ['AzureWebJobs.renewSubscriptions.Disabled', 'maybe'],
    ['RENEWAL_MAILBOX_CONCURRENCY', '5'],
    ['GRAPH_WRITES_PER_WINDOW', '0'],
    ['GRAPH_WRITE_WINDOW_SECONDS', 'twenty'],
    ['RENEWAL_QUEUE', 'Renewal_Queue'],
    ['RENEWAL_QUEUE', 'a-queue-name-so-long-that-its-poison-queue-would-not-be-valid'],
    ['AzureWebJobsStorage', 'not a connection string'],
    ['AzureWebJobsStorage__queueServiceUri', 'http://acct.queue.core.windows.net'],
  ])('rejects %s=%s with an error that names it', (setting, value) => {
    const error = errorFor({ ...base, [setting]: value });
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}: `)).toBe(true);
  });

  it('refuses a margin shorter than the interval between runs, and says why', () => {
    expect(errorFor({ ...base, RENEWAL_MARGIN_HOURS: '12' }).message).toBe(
      'RENEWAL_MARGIN_HOURS: "12" is not valid: use a number from 24 to 720 (default 36); less than the 24 h between two runs would leave a subscription a single chance to be renewed.',
    );
  });

  it('refuses a lifetime that would not reach the next run', () => {
    expect(errorFor({ ...base, RENEWAL_LIFETIME_HOURS: '24' }).message).toMatch(
      /must outlive the 24 h until the next run/,
    );
  });

  it('refuses a table endpoint that carries a SAS token', () => {
    const error = errorFor({ TABLES_ENDPOINT: 'https://acct.table.core.windows.net/?sv=2024&sig=c2VjcmV0' });
    expect(error.setting).toBe('TABLES_ENDPOINT');
    expect(error.message).not.toContain('c2VjcmV0');
  });

  it('refuses a connection string the storage SDK cannot use, when the clients are built', () => {
    let error: ConfigError | undefined;
    try {
      servicesFor(loadConfig({ TABLES_CONNECTION_STRING: 'AccountName=foo;AccountKey=c2VjcmV0' }));
    } catch (thrown) {
      error = thrown as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    if (!error) return;
    expect(error.message).toMatch(/^TABLES_CONNECTION_STRING: could not be read as a storage connection string/);
    expect(error.message).not.toContain('c2VjcmV0');
  });

  it('maps the Windows time zone id to the IANA zone the status computes with', () => {
    expect(loadConfig({ ...base, WEBSITE_TIME_ZONE: 'Romance Standard Time' }).schedule.timeZone).toBe('Europe/Paris');
    expect(loadConfig({ ...base, WEBSITE_TIME_ZONE: 'Europe/Paris' }).schedule.timeZone).toBe('Europe/Paris');
  });

  it.each([
    'AzureWebJobs.renewSubscriptions.Disabled',
    'AzureWebJobs_renewSubscriptions_Disabled',
    'AzureWebJobs__renewSubscriptions__Disabled',
  ])('sees the timer disabled through %s', (setting) => {
    expect(loadConfig({ ...base, [setting]: 'true' }).schedule.timerDisabled).toBe(true);
    expect(loadConfig({ ...base, [setting]: '1' }).schedule.timerDisabled).toBe(true);
    expect(loadConfig({ ...base, [setting]: 'false' }).schedule.timerDisabled).toBe(false);
  });

  it('uses the managed identity where the host provides one', () => {
    const config = loadConfig({
      ...base,
      IDENTITY_ENDPOINT: 'http://127.0.0.1:41000/msi/token',
      AZURE_CLIENT_ID: '6a1f9c1e-3b7e-4d5e-9b8e-1c2d3e4f5a6b',
    });
    expect(config.managedIdentityEndpoint).toBe('http://127.0.0.1:41000/msi/token');
    expect(config.managedIdentityClientId).toBe('6a1f9c1e-3b7e-4d5e-9b8e-1c2d3e4f5a6b');
  });

  it("hands off to a queue in the host's storage when it has one, by connection string or identity", () => {
    expect(loadConfig(base).queue).toBeUndefined();
    expect(loadConfig({ ...base, AzureWebJobsStorage: AZURITE }).queue).toEqual({
      name: 'subscription-renewals',
      storage: { kind: 'connectionString', connectionString: AZURITE },
    });
    expect(
      loadConfig({
        ...base,
        AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net/',
        RENEWAL_QUEUE: 'renewals',
      }).queue,
    ).toEqual({ name: 'renewals', storage: { kind: 'endpoint', endpoint: 'https://acct.queue.core.windows.net' } });
  });

  it("keeps Graph's documented limits by default: 500 writes and 25 lists per 20 s, 4 per mailbox", () => {
    const config = loadConfig(base);
    expect(config.graph).toMatchObject({ writesPerWindow: 500, writeWindowMs: 20_000, listsPerWindow: 25 });
    expect(config.renewal.mailboxConcurrency).toBe(4);
  });
});

describe('webhook settings', () => {
  const secret = 'a3f1c9e0b7d24c5e8f6a1b2c3d4e5f60';

  it('are all optional: renewal alone needs none of them', () => {
    expect(loadConfig(base)).toMatchObject({
      webhook: { clientState: undefined, notificationUrl: undefined, lifecycleUrl: undefined, userId: undefined },
      webhookProblem: undefined,
    });
  });

  it('take a client state of 16 to 128 characters, https URLs and a user id', () => {
    const config = loadConfig({
      ...base,
      WEBHOOK_CLIENT_STATE: secret,
      WEBHOOK_NOTIFICATION_URL: 'https://consumer.contoso.example/api/notifications',
      WEBHOOK_LIFECYCLE_URL: 'https://func-abc.azurewebsites.net/api/webhooks/lifecycle',
      GRAPH_USER_ID: 'someone@contoso.example',
    });
    expect(config.webhook).toMatchObject({ clientState: secret, userId: 'someone@contoso.example' });
  });

  it('take Event Hubs and Event Grid addresses as notification and lifecycle URLs', () => {
    const hub = 'EventHub:https://evh-graph.servicebus.windows.net/eventhubname/graphevents?tenantId=contoso.com';
    const grid =
      'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg&partnertopic=graph&location=westeurope';
    const config = loadConfig({ ...base, WEBHOOK_NOTIFICATION_URL: hub, WEBHOOK_LIFECYCLE_URL: grid });
    expect(config.webhookProblem).toBeUndefined();
    expect(config.webhook).toMatchObject({ notificationUrl: hub, lifecycleUrl: grid });
  });

  it.each([
    ['WEBHOOK_CLIENT_STATE', 'x'.repeat(129), /129 characters long; Graph accepts at most 128/],
    ['WEBHOOK_CLIENT_STATE', 'short', /use a random value of 16 to 128 characters/],
    ['WEBHOOK_CLIENT_STATE', `${secret} `, /white space/],
    [
      'WEBHOOK_CLIENT_STATE',
      '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/clientstate/)',
      /unresolved Key Vault reference.*Key Vault Secrets User/,
    ],
    ['WEBHOOK_NOTIFICATION_URL', 'http://consumer.example/hook', /must be an https URL/],
    [
      'WEBHOOK_NOTIFICATION_URL',
      'EventHub:https://kv.vault.azure.net/secrets/hub',
      /needs \?tenantId=.*EventHub:https:\/\/<vault>/,
    ],
    ['WEBHOOK_NOTIFICATION_URL', 'EventGrid:?azuresubscriptionid=x', /lacks resourcegroup, partnertopic, location/],
    ['WEBHOOK_LIFECYCLE_URL', 'not a url', /is not a URL/],
    ['GRAPH_USER_ID', 'Inbox', /is not a user: use the mailbox owner's object id/],
  ])(
    '%s="%s" is refused with a message naming it, and the renewals still get their configuration',
    (setting, value, message) => {
      const config = loadConfig({ ...base, [setting]: value });
      expect(config.webhookProblem).toMatch(new RegExp(`^${setting}: `));
      expect(config.webhookProblem).toMatch(message);
      expect(config.webhook.clientState).toBeUndefined();
      expect(config.renewal.marginHours).toBe(36);
    },
  );

  it('never quotes the client state in an error, whatever is wrong with it', () => {
    const long = `${secret}${secret}${secret}${secret}${secret}`;
    expect(loadConfig({ ...base, WEBHOOK_CLIENT_STATE: long }).webhookProblem).not.toContain(secret);
  });
});

describe("the lifecycle URL, from the app's own host name", () => {
  it("is this app's endpoint on the host name App Service gives it (WEBSITE_HOSTNAME), whatever the cloud", () => {
    const config = loadConfig({ ...base, WEBSITE_HOSTNAME: 'func-abc.azurewebsites.us' });
    expect(config.webhook.lifecycleUrl).toBe('https://func-abc.azurewebsites.us/api/webhooks/lifecycle');
  });

  it('gives way to WEBHOOK_LIFECYCLE_URL when that is set', () => {
    const config = loadConfig({
      ...base,
      WEBSITE_HOSTNAME: 'func-abc.azurewebsites.net',
      WEBHOOK_LIFECYCLE_URL: 'https://hooks.contoso.example/lifecycle',
    });
    expect(config.webhook.lifecycleUrl).toBe('https://hooks.contoso.example/lifecycle');
  });

  it('is left unset under Core Tools, whose localhost host name Graph cannot reach', () => {
    expect(loadConfig({ ...base, WEBSITE_HOSTNAME: 'localhost:7071' }).webhook.lifecycleUrl).toBeUndefined();
  });

  it('refuses a WEBSITE_HOSTNAME that is not a host name, naming it, and the renewals go on', () => {
    const config = loadConfig({ ...base, WEBSITE_HOSTNAME: 'func-abc.azurewebsites.net/api' });
    expect(config.webhookProblem).toMatch(/^WEBSITE_HOSTNAME: "func-abc.azurewebsites.net\/api" is not a host name/);
    expect(config.renewal.marginHours).toBe(36);
  });
});
