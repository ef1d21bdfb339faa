import { randomBytes } from 'node:crypto';
import { format } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { HttpRequest, type HttpResponseInit, InvocationContext, type Timer } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { lifecycleNotifications } from '../../src/functions/lifecycleNotifications';
import type { QueueMessage } from '../../src/renewal/queueMessage';
import { decodeMessage } from '../../src/storage/renewalQueue';
import { EntraEmulator } from './entraEmulator';
import { FunctionHost } from './functionHost';
import { GraphEmulator } from './graphEmulator';
import { IdentityEmulator } from './identityEmulator';
import { captureOutput, watchConnectionString, watchSecret } from './reliability/leakWatch';

export interface LogLine {
  level: string;
  message: string;
}

/**
 * Everything an integration test needs around the real handlers: Azurite tables of its own, the
 * Graph, managed-identity and Entra emulators, and the app settings pointing at them (in process.env, where
 * the app's config module reads them).
 */
export class Harness {
  readonly logs: LogLine[] = [];
  /** process.env as the harness left it, restored before each test. */
  private readonly baseline = { ...process.env };

  /** Where the Graph emulator reaches the app's lifecycle endpoint and the consumer's notification URL. */
  host!: FunctionHost;

  private constructor(
    readonly graph: GraphEmulator,
    readonly identity: IdentityEmulator,
    readonly subscriptionsTable: TableClient,
    readonly runsTable: TableClient,
    /** The index table: id entries, attention entries, the census (src/storage/subscriptionIndex.ts). */
    readonly indexTable: TableClient,
    /** The renewal queue (Azurite's queue service), as the queue trigger would read it. */
    readonly renewalQueue: QueueClient,
    readonly env: Record<string, string>,
    /** Entra ID's token service, for the multi-tenant app's tokens in customer tenants. */
    readonly entra: EntraEmulator,
    /** The onboarded customer tenants (TENANTS_TABLE, set by `multiTenant()`). */
    readonly tenantsTable: TableClient,
  ) {}

  /**
   * Starts the emulators and points the app settings at them. Inside vitest the shared Azurite and
   * certificate come from the global setup; the demo passes its own.
   */
  static async start(settings: Record<string, string> = {}, infrastructure?: Infrastructure): Promise<Harness> {
    const { connectionString, certPath, keyPath } = infrastructure ?? (await fromGlobalSetup());
    const identity = await IdentityEmulator.start();
    // One home tenant for all: the managed identity's tokens (no tenant named) land in the home Graph.
    const graph = await GraphEmulator.start({
      certPath,
      keyPath,
      tokens: identity.tokens,
      tenantId: identity.tenantId,
    });
    const entra = await EntraEmulator.start({
      certPath,
      keyPath,
      identity,
      graphBaseUrl: graph.baseUrl,
      tokens: identity.tokens,
    });
    const suffix = randomBytes(4).toString('hex');
    let harness!: Harness;
    const host = await FunctionHost.start({ certPath, keyPath, context: (name) => harness.context(name) });
    const env: Record<string, string> = {
      TABLES_CONNECTION_STRING: connectionString,
      SUBSCRIPTIONS_TABLE: `subscriptions${suffix}`,
      RUNS_TABLE: `renewalruns${suffix}`,
      SUBSCRIPTION_INDEX_TABLE: `subscriptionindex${suffix}`,
      // The host's storage, where the renewal queue lives; a queue of its own per harness.
      AzureWebJobsStorage: connectionString,
      RENEWAL_QUEUE: `renewals-${suffix}`,
      GRAPH_BASE_URL: graph.baseUrl,
      GRAPH_RETRY_BASE_SECONDS: '0.01',
      GRAPH_TIMEOUT_SECONDS: '5',
      WEBSITE_TIME_ZONE: 'Europe/Paris',
      WEBHOOK_CLIENT_STATE: randomBytes(24).toString('base64url'),
      WEBHOOK_NOTIFICATION_URL: host.notificationUrl,
      WEBHOOK_LIFECYCLE_URL: host.route('webhooks/lifecycle', lifecycleNotifications),
      ...identity.environment(),
      ...settings,
    };
    Object.assign(process.env, env);
    // The suite's leak check looks for these in everything the app says (test/support/reliability).
    watchSecret('clientState', env.WEBHOOK_CLIENT_STATE);
    watchSecret('identityHeader', env.IDENTITY_HEADER);
    watchConnectionString(connectionString);
    const table = (name: string) =>
      TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
    const queue = new QueueClient(connectionString, env.RENEWAL_QUEUE!);
    harness = new Harness(
      graph,
      identity,
      table(env.SUBSCRIPTIONS_TABLE!),
      table(env.RUNS_TABLE!),
      table(env.SUBSCRIPTION_INDEX_TABLE!),
      queue,
      env,
      entra,
      table(`tenants${suffix}`),
    );
    harness.host = host;
    await harness.subscriptionsTable.createTable();
    await harness.runsTable.createTable();
    await harness.indexTable.createTable();
    await harness.tenantsTable.createTable();
    return harness;
  }

  /**
   * Turns the app multi-tenant: the settings that name the multi-tenant app registration, the Entra
   * emulator as authority and the home tenant, and a tenants table of this harness's own. Kept across
   * `reset()` and removed by `stop()`, like the settings `start` sets; returns what it set.
   */
  multiTenant(): Record<string, string> {
    const settings = {
      MULTI_TENANT_APP_CLIENT_ID: this.entra.appClientId,
      AZURE_AUTHORITY_HOST: this.entra.authorityHost,
      HOME_TENANT_ID: this.graph.tenantId,
      TENANTS_TABLE: this.tenantsTable.tableName,
    };
    Object.assign(process.env, settings);
    Object.assign(this.baseline, settings);
    Object.assign(this.env, settings);
    return settings;
  }

  /** Empties the tables, the emulator and the captured logs, and restores the settings. */
  async reset(): Promise<void> {
    this.graph.reset();
    this.entra.reset();
    this.host.consumer = 'valid';
    this.logs.length = 0;
    // Settings a test changed or added go back to what the harness set.
    for (const name of Object.keys(process.env)) if (!(name in this.baseline)) delete process.env[name];
    Object.assign(process.env, this.baseline);
    for (const table of [this.subscriptionsTable, this.runsTable, this.indexTable, this.tenantsTable]) {
      for await (const entity of table.listEntities()) await table.deleteEntity(entity.partitionKey!, entity.rowKey!);
    }
    if (await this.renewalQueue.exists()) await this.renewalQueue.clearMessages();
  }

  /**
   * Takes every message off the renewal queue, decoded, as the Functions host would hand them to the
   * queue trigger (which does not run in test mode). Undecodable messages come back as undefined.
   */
  async takeQueuedRenewals(): Promise<(QueueMessage | undefined)[]> {
    if (!(await this.renewalQueue.exists())) return [];
    const taken: (QueueMessage | undefined)[] = [];
    for (;;) {
      const { receivedMessageItems } = await this.renewalQueue.receiveMessages({ numberOfMessages: 32 });
      if (receivedMessageItems.length === 0) return taken;
      for (const item of receivedMessageItems) {
        taken.push(decodeMessage(item.messageText));
        await this.renewalQueue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
  }

  async stop(): Promise<void> {
    for (const name of Object.keys(this.env)) delete process.env[name];
    await Promise.allSettled([
      this.subscriptionsTable.deleteTable(),
      this.runsTable.deleteTable(),
      this.indexTable.deleteTable(),
      this.tenantsTable.deleteTable(),
      this.renewalQueue.deleteIfExists(),
    ]);
    await Promise.all([this.graph.stop(), this.identity.stop(), this.entra.stop(), this.host.stop()]);
  }

  /** An invocation context whose log lines land in `logs`, as Application Insights traces would. */
  context(functionName: string): InvocationContext {
    // A test may have set another client state or connection string since the start: watched too.
    watchSecret('clientState', process.env.WEBHOOK_CLIENT_STATE);
    watchConnectionString(process.env.TABLES_CONNECTION_STRING);
    return new InvocationContext({
      functionName,
      invocationId: randomBytes(8).toString('hex'),
      logHandler: (level, ...args) => {
        const message = format(...args);
        this.logs.push({ level, message });
        captureOutput('log', message);
      },
    });
  }

  /** Passes an HTTP function's answer through, recording its body for the suite's leak check. */
  answered<T extends HttpResponseInit>(answer: T): T {
    const body =
      answer.jsonBody !== undefined
        ? JSON.stringify(answer.jsonBody)
        : typeof answer.body === 'string'
          ? answer.body
          : '';
    captureOutput('response', body);
    return answer;
  }

  /**
   * A timer run, as the host invokes it. When nothing could be renewed the function throws (the host
   * then marks the invocation failed and logs the error's message): the error is returned, and its
   * message recorded for the suite's leak check like any log line.
   */
  async runTimer(isPastDue = false): Promise<Error | undefined> {
    const { renewSubscriptions } = await import('../../src/functions/renewSubscriptions');
    return this.fire(renewSubscriptions, 'renewSubscriptions', isPastDue);
  }

  /** A run of the 10-minute timer for short-lived subscriptions, as runTimer does for the daily one. */
  async runShortTimer(isPastDue = false): Promise<Error | undefined> {
    const { renewShortLivedSubscriptions } = await import('../../src/functions/renewShortLivedSubscriptions');
    return this.fire(renewShortLivedSubscriptions, 'renewShortLivedSubscriptions', isPastDue);
  }

  private async fire(
    handler: (timer: Timer, context: InvocationContext) => Promise<void>,
    name: string,
    isPastDue: boolean,
  ): Promise<Error | undefined> {
    try {
      await handler(this.timer(isPastDue), this.context(name));
      return undefined;
    } catch (error) {
      captureOutput('error', (error as Error).message);
      return error as Error;
    }
  }

  /** A census, as its timer takes one every 15 minutes (tests run it when the clock moves on). */
  async runCensus(): Promise<void> {
    const { subscriptionCensus } = await import('../../src/functions/subscriptionCensus');
    await subscriptionCensus(this.timer(), this.context('subscriptionCensus'));
  }

  timer(isPastDue = false): Timer {
    return { isPastDue, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } };
  }

  statusRequest(query = ''): HttpRequest {
    return new HttpRequest({ method: 'GET', url: `http://localhost:7071/api/webhooks/scheduler/status${query}` });
  }

  /** Messages logged at `level` (or any level), for assertions. */
  messages(level?: string): string[] {
    return this.logs.filter((line) => !level || line.level === level).map((line) => line.message);
  }

  async row(id: string, partitionKey = 'default'): Promise<Record<string, unknown>> {
    return this.subscriptionsTable.getEntity(partitionKey, id);
  }

  /** The run-history rows of one partition: the daily and manual runs (`run`), the 10-minute timer's (`shortrun`), what Graph taught (`learntmaximum`). */
  async runs(partition: 'run' | 'shortrun' | 'learntmaximum' = 'run'): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for await (const entity of this.runsTable.listEntities({
      queryOptions: { filter: `PartitionKey eq '${partition}'` },
    }))
      rows.push(entity);
    return rows;
  }
}

export interface Infrastructure {
  connectionString: string;
  certPath: string;
  keyPath: string;
}

async function fromGlobalSetup(): Promise<Infrastructure> {
  const { inject } = await import('vitest');
  return {
    connectionString: inject('azuriteConnectionString'),
    certPath: inject('tlsCertPath'),
    keyPath: inject('tlsKeyPath'),
  };
}

export type StatusAnswer = HttpResponseInit & { jsonBody: Record<string, any> };
