/**
 * The bench's "tenants" part (issue 15's targets): three customer tenants of 1,000 due subscriptions
 * each, renewed in one run of the deployable bundle through the multi-tenant app (the Entra emulator's
 * token endpoint, the managed identity's token as client assertion), with Graph's limits per tenant
 * and across tenants (`appLimits`) on, scaled in time like the rest of the bench; then the same three
 * with one tenant's Graph answering 429 to everything. Two controls tell the app's limits from the
 * machine's: one customer tenant alone at the same scale, and the three at a smaller time scale.
 * Each run is scripts/benchRun.cjs in a process of its own; when each tenant's renewals landed is
 * read from its Graph (the subscriptions' lastPatchAt), against the run's start as that process
 * reports it. `npm run bench -- --tenants` runs this part alone (BENCH_TENANTS_DEBUG=1: renewals
 * landed per second, per tenant, on stderr).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { GraphEmulator } from '../test/support/graphEmulator';
import type { IdentityEmulator } from '../test/support/identityEmulator';

const TENANTS = 3;
const PER_TENANT = 1000;
/** Graph's ceiling on subscription writes per app across all tenants, per 20 s (graph/throttling-limits). */
const APP_WRITES_PER_WINDOW = 2000;
/** What the throttled tenant's Graph asks for, in Graph's (unscaled) seconds. */
const THROTTLED_RETRY_AFTER_SECONDS = 10;
/**
 * The targets' time scale. At the rest of the bench's 5x, three tenants at full speed need 375 renewals
 * a second from one Node process sharing 2 cores with Azurite and the emulators: the machine's CPU,
 * not Graph's limits or the app's, sets the pace (the 5x control shows it; at Graph's real timing the
 * same target is 75 a second). At 2x the limits are what the run meets, which is what the targets are about.
 */
const TARGET_TIME_SCALE = 2;
/**
 * The throttled run's budget (RENEWAL_RUN_BUDGET_MINUTES): 3x the per-tenant bound of 20 s at 2x, so
 * the two healthy tenants finish well inside it, and the run stops starting the throttled tenant's
 * renewals then (they go to the queue) instead of retrying them for as long as the default 45 minutes allow.
 */
const THROTTLED_RUN_BUDGET_MINUTES = 1;
/** The CPU-bound control's time scale: the rest of the bench's. */
const CONTROL_TIME_SCALE = 5;

export interface TenantFigures {
  tenantId: string;
  due: number;
  /** Subscriptions whose expiration the run moved, on that tenant's Graph. */
  renewedOnGraph: number;
  /** Its Graph answered 429 to everything (the bench's fault). */
  faulted: boolean;
  /** PATCH requests the tenant's Graph received, and how many of them it answered 429 (limits or fault). */
  patches: number;
  throttled: number;
  /** Of those, the 429s for a mailbox's concurrency (Outlook's 4 per mailbox), not the write window. */
  mailboxThrottled: number;
  /** When the tenant's first and last renewal landed on its Graph, since the run's start (ms). */
  firstRenewalMs?: number;
  lastRenewalMs?: number;
}

export interface TenantRunFigures {
  timeScale: number;
  wallMs: number;
  maxRssKb: number;
  /** CPU time of the run's process (its whole life, loading included), and the machine's busy share during the run. */
  runCpuMs: number;
  machineBusy: number;
  /** The run record's totals (every tenant together); notRenewed = due - renewed. */
  due: number;
  renewed: number;
  notRenewed: number;
  failed: number;
  queued: number;
  deferred: number;
  /** 429s answered by the healthy tenants' own limits, and by the app-wide limit (faults not included). */
  tenantThrottled: number;
  appThrottled: number;
  tenants: TenantFigures[];
  /** max(per-tenant bound for the most due in one tenant, all due / the app-wide rate), at this run's scale. */
  perTenantBoundMs: number;
  appWideBoundMs: number;
  boundMs: number;
  ratio: number;
}

export interface TenantBenchFigures {
  measuredAt: string;
  tenants: number;
  perTenant: number;
  appWritesPerWindow: number;
  allHealthy: TenantRunFigures;
  oneThrottled: TenantRunFigures & {
    retryAfterSeconds: number;
    budgetMinutes: number;
    throttledTenant: string;
    /** The healthy tenants' last renewal against the per-tenant bound. */
    othersLastRenewalMs: number;
    othersRatio: number;
    /** The throttled tenant's rows after the run: a 429 recorded (failed), renewed, untouched (queued or deferred). */
    throttledRows: { failed: number; renewed: number; untouched: number };
  };
  /** Controls at the rest of the bench's scale (CONTROL_TIME_SCALE, 5x): one customer tenant alone; the three. */
  oneTenant: TenantRunFigures;
  lessScaled: TenantRunFigures;
}

export interface TenantTools {
  connectionString: string;
  graph: GraphEmulator;
  identity: IdentityEmulator;
  certPath: string;
  keyPath: string;
  bundle: string;
  log: (line: string) => void;
  timeScale: number;
  /** Graph's latency and limits, unscaled (the bench's). */
  latencyMs: number;
  windowMs: number;
  writesPerWindow: number;
  mailboxConcurrency: number;
  subscriptionsPerMailbox: number;
}

/** Jiffies the machine spent busy and in all, from /proc/stat (Linux), to tell a CPU-bound run. */
function machineCpu(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return { busy: total - fields[3]! - (fields[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 1 };
  }
}

export async function measureTenants(tools: TenantTools): Promise<TenantBenchFigures> {
  const { TableClient } = await import('@azure/data-tables');
  const { EntraEmulator } = await import('../test/support/entraEmulator');
  const { graph, identity, log } = tools;
  const exec = promisify(execFile);
  const entra = await EntraEmulator.start({
    certPath: tools.certPath,
    keyPath: tools.keyPath,
    identity,
    graphBaseUrl: graph.baseUrl,
    tokens: identity.tokens,
  });
  const allTenants = Array.from({ length: TENANTS }, () => entra.addTenant(randomUUID()));
  const table = (name: string) =>
    TableClient.fromConnectionString(tools.connectionString, name, { allowInsecureConnection: true });
  const tenantsTable = table('benchtenantsdirectory');
  await tenantsTable.createTable();
  for (const [i, id] of allTenants.entries()) {
    await tenantsTable.upsertEntity({
      partitionKey: 'tenant',
      rowKey: id,
      displayName: `Bench customer ${i + 1}`,
      addedAt: new Date(),
      consentState: 'granted',
    });
  }
  const previousAppLimits = graph.appLimits;
  let tableNumber = 0;

  /** Graph's latency and window at a time scale. */
  const scaledAt = (timeScale: number) => ({
    timeScale,
    latencyMs: tools.latencyMs / timeScale,
    windowMs: tools.windowMs / timeScale,
  });
  /** The bench's lower bound (bench.ts) for n due in one tenant, and the app-wide one for `total`. */
  const bounds = (timeScale: number, n: number, total: number) => {
    const { latencyMs, windowMs } = scaledAt(timeScale);
    const concurrency = tools.mailboxConcurrency * Math.ceil(n / tools.subscriptionsPerMailbox);
    const perTenantBoundMs = Math.max((n * latencyMs) / concurrency, n / (tools.writesPerWindow / windowMs));
    const appWideBoundMs = total / (APP_WRITES_PER_WINDOW / windowMs);
    return { perTenantBoundMs, appWideBoundMs, boundMs: Math.max(perTenantBoundMs, appWideBoundMs) };
  };

  /** Each tenant's Graph back to empty, with the bench's latency and limits at `timeScale`, and the app-wide limit. */
  function resetGraphs(timeScale: number): void {
    const { latencyMs, windowMs } = scaledAt(timeScale);
    for (const id of allTenants) {
      const tenantGraph = graph.tenant(id);
      tenantGraph.subscriptions.clear();
      tenantGraph.requests.length = 0;
      tenantGraph.faults.length = 0;
      tenantGraph.throttled = 0;
      tenantGraph.mailboxThrottled = 0;
      tenantGraph.latencyMs = latencyMs;
      tenantGraph.limits = {
        mailboxConcurrency: tools.mailboxConcurrency,
        writesPerWindow: tools.writesPerWindow,
        windowMs,
        concurrencyRetryAfterSeconds: 1 / timeScale,
      };
    }
    graph.appLimits = { writesPerWindow: APP_WRITES_PER_WINDOW, windowMs };
    graph.appThrottled = 0;
  }

  /** PER_TENANT due rows per tenant, interleaved in the table (one partition per 100 rows), each on its tenant's Graph. */
  async function seed(tenantIds: string[]): Promise<string> {
    const name = `benchtenants${++tableNumber}`;
    const subscriptions = table(name);
    await subscriptions.createTable();
    const soon = new Date(Date.now() + 6 * 3_600_000);
    const total = tenantIds.length * PER_TENANT;
    const pending: Promise<unknown>[] = [];
    for (let start = 0; start < total; start += 100) {
      const rows = [];
      for (let i = start; i < Math.min(total, start + 100); i++) {
        const tenant = i % tenantIds.length;
        const tenantId = tenantIds[tenant]!;
        const n = Math.floor(i / tenantIds.length);
        const id = `sub-${tenant}-${String(n).padStart(6, '0')}`;
        const resource = `users/user-${Math.floor(n / tools.subscriptionsPerMailbox)}/mailFolders('Inbox')/messages`;
        rows.push({ partitionKey: `p${start / 100}`, rowKey: id, resource, expirationDateTime: soon, tenantId });
        graph.tenant(tenantId).add({ id, resource, expirationDateTime: soon });
      }
      pending.push(subscriptions.submitTransaction(rows.map((row) => ['create', row])));
      if (pending.length >= 8) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    return name;
  }

  /** One timer run of the bundle, multi-tenant, against table `name`, in a child process. */
  async function renew(
    name: string,
    tenantIds: string[],
    timeScale: number,
    settings: Record<string, string> = {},
  ): Promise<TenantRunFigures> {
    const { windowMs } = scaledAt(timeScale);
    // Every window (each tenant's and the app's) clear of the previous run's writes.
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...identity.environment(),
      TABLES_CONNECTION_STRING: tools.connectionString,
      AzureWebJobsStorage: tools.connectionString,
      SUBSCRIPTIONS_TABLE: name,
      RUNS_TABLE: `${name}runs`,
      SUBSCRIPTION_INDEX_TABLE: `${name}index`,
      // A queue of this run's own: what the budget leaves is counted, never renewed behind the bench's back.
      RENEWAL_QUEUE: `${name}-renewals`,
      GRAPH_BASE_URL: graph.baseUrl,
      GRAPH_WRITE_WINDOW_SECONDS: String(windowMs / 1000),
      GRAPH_WRITES_PER_WINDOW: String(tools.writesPerWindow),
      GRAPH_APP_WRITES_PER_WINDOW: String(APP_WRITES_PER_WINDOW),
      GRAPH_RETRY_BASE_SECONDS: String(1 / timeScale),
      RENEWAL_RUN_BUDGET_MINUTES: '50',
      WEBSITE_TIME_ZONE: 'Europe/Paris',
      // The multi-tenant app, the Entra emulator as authority, the home tenant and the onboarded tenants.
      MULTI_TENANT_APP_CLIENT_ID: entra.appClientId,
      AZURE_AUTHORITY_HOST: entra.authorityHost,
      HOME_TENANT_ID: graph.tenantId,
      TENANTS_TABLE: tenantsTable.tableName,
      ...settings,
    };
    // A region would send MSAL to IMDS first.
    delete env.AZURE_REGIONAL_AUTHORITY_NAME;
    const machineBefore = machineCpu();
    const { stdout } = await exec(process.execPath, ['scripts/benchRun.cjs', tools.bundle], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const machineAfter = machineCpu();
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      wallMs: number;
      maxRssKb: number;
      startedAtMs: number;
      cpuMs: number;
      error?: string;
    };
    if (figures.error) throw new Error(`The run failed: ${figures.error}`);
    let record: Record<string, unknown> | undefined;
    for await (const entity of table(`${name}runs`).listEntities()) {
      record = entity;
      break;
    }
    const tenants = tenantIds.map((tenantId): TenantFigures => {
      const tenantGraph = graph.tenant(tenantId);
      const landed = [...tenantGraph.subscriptions.values()]
        .map((s) => s.lastPatchAt?.getTime())
        .filter((at): at is number => at !== undefined)
        .map((at) => at - figures.startedAtMs);
      if (process.env.BENCH_TENANTS_DEBUG) {
        const perSecond: number[] = [];
        for (const at of landed) perSecond[Math.floor(at / 1000)] = (perSecond[Math.floor(at / 1000)] ?? 0) + 1;
        log(`  ${tenantId.slice(0, 8)} renewals per second: ${Array.from(perSecond, (v) => v ?? 0).join(' ')}`);
      }
      const patches = tenantGraph.requests.filter((r) => r.method === 'PATCH');
      const faulted = tenantGraph.faults.length > 0;
      return {
        tenantId,
        due: PER_TENANT,
        renewedOnGraph: landed.length,
        faulted,
        patches: patches.length,
        // A tenant under the 429 fault answers every PATCH 429 (its limits or the fault).
        throttled: faulted ? patches.length : tenantGraph.throttled,
        mailboxThrottled: tenantGraph.mailboxThrottled,
        ...(landed.length > 0 ? { firstRenewalMs: Math.min(...landed), lastRenewalMs: Math.max(...landed) } : {}),
      };
    });
    const count = (field: string) => Number(record?.[field] ?? 0);
    const bound = bounds(timeScale, PER_TENANT, tenantIds.length * PER_TENANT);
    return {
      timeScale,
      wallMs: figures.wallMs,
      maxRssKb: figures.maxRssKb,
      runCpuMs: figures.cpuMs,
      machineBusy: (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total),
      due: count('due'),
      renewed: count('renewed'),
      notRenewed: count('due') - count('renewed'),
      failed: count('failed'),
      queued: count('queued'),
      deferred: count('deferred'),
      tenantThrottled: tenants.filter((t) => !t.faulted).reduce((sum, t) => sum + t.throttled, 0),
      appThrottled: graph.appThrottled,
      tenants,
      ...bound,
      ratio: figures.wallMs / bound.boundMs,
    };
  }

  const scale = TARGET_TIME_SCALE;
  try {
    log(`tenants: ${TENANTS} x ${PER_TENANT} due...`);
    resetGraphs(scale);
    const allHealthy = await renew(await seed(allTenants), allTenants, scale);

    log(`tenants: ${TENANTS} x ${PER_TENANT} due, one tenant answering 429 to everything...`);
    resetGraphs(scale);
    const name = await seed(allTenants);
    const throttledTenant = allTenants[0]!;
    const retryAfterSeconds = THROTTLED_RETRY_AFTER_SECONDS / scale;
    graph.tenant(throttledTenant).inject({
      status: 429,
      code: 'TooManyRequests',
      message: 'Too many requests: the bench holds this tenant throttled.',
      headers: { 'Retry-After': String(retryAfterSeconds) },
      times: Infinity,
    });
    const throttled = await renew(name, allTenants, scale, {
      RENEWAL_RUN_BUDGET_MINUTES: String(THROTTLED_RUN_BUDGET_MINUTES),
    });
    const rows = { failed: 0, renewed: 0, untouched: 0 };
    for await (const row of table(name).listEntities<Record<string, unknown>>({
      queryOptions: { filter: `tenantId eq '${throttledTenant}'` },
    })) {
      if (row.lastRenewedAt !== undefined) rows.renewed++;
      else if (row.lastErrorStatus !== undefined) rows.failed++;
      else rows.untouched++;
    }
    const others = throttled.tenants.filter((t) => t.tenantId !== throttledTenant);
    const othersLastRenewalMs = Math.max(...others.map((t) => t.lastRenewalMs ?? Infinity));

    log(`tenants, control: one customer tenant x ${PER_TENANT} due, time scaled down ${CONTROL_TIME_SCALE}x...`);
    resetGraphs(CONTROL_TIME_SCALE);
    const oneTenant = await renew(await seed(allTenants.slice(0, 1)), allTenants.slice(0, 1), CONTROL_TIME_SCALE);

    log(`tenants, control: ${TENANTS} x ${PER_TENANT} due, time scaled down ${CONTROL_TIME_SCALE}x...`);
    resetGraphs(CONTROL_TIME_SCALE);
    const lessScaled = await renew(await seed(allTenants), allTenants, CONTROL_TIME_SCALE);
    return {
      measuredAt: new Date().toISOString(),
      tenants: TENANTS,
      perTenant: PER_TENANT,
      appWritesPerWindow: APP_WRITES_PER_WINDOW,
      allHealthy,
      oneThrottled: {
        ...throttled,
        retryAfterSeconds,
        budgetMinutes: THROTTLED_RUN_BUDGET_MINUTES,
        throttledTenant,
        othersLastRenewalMs,
        othersRatio: othersLastRenewalMs / throttled.perTenantBoundMs,
        throttledRows: rows,
      },
      oneTenant,
      lessScaled,
    };
  } finally {
    graph.appLimits = previousAppLimits;
    for (const id of allTenants) graph.tenant(id).faults.length = 0;
    await entra.stop();
  }
}
