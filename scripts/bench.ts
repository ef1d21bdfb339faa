/**
 * `npm run bench` (not part of `npm test`): how fast the renewal runs against Graph's own limits, how
 * its cost grows with the table, and how fast the deployable bundle loads. Azurite and the Graph
 * emulator run on loopback; the emulator enforces Graph's documented limits (4 concurrent requests per
 * mailbox, 500 subscription writes per app per tenant per sliding 20 s) and its latency, all scaled down in time by TIME_SCALE
 * so the whole bench takes a few minutes. Each renewal run is the built bundle (dist/index.js) in a
 * process of its own (scripts/benchRun.cjs). Prints a table; writes bench/results.json and
 * bench/chart.svg. The last part, three customer tenants with Graph's app-wide limit as well
 * (scripts/benchTenants.ts), runs alone with `npm run bench -- --tenants`: it then replaces only the
 * `tenants` section of bench/results.json and redraws the chart.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { DOCUMENTED_LIMITS } from '../test/support/graphEmulator';
import { createLoopbackCertificate } from '../test/support/tls';

/** Graph's times divided by this: a 20 s window lasts 4 s, a 150 ms call 30 ms. */
const TIME_SCALE = 5;
const GRAPH_LATENCY_MS = 150;
// Graph's documented per-tenant limits (graph/throttling-limits): the lower bound follows them.
const {
  writesPerWindow: WRITES_PER_WINDOW,
  windowMs: WINDOW_MS,
  mailboxConcurrency: MAILBOX_CONCURRENCY,
} = DOCUMENTED_LIMITS;
const SUBSCRIPTIONS_PER_MAILBOX = 4;
const COLD_START_RUNS = 11;

async function launch(): Promise<number> {
  // Node reads NODE_EXTRA_CA_CERTS only at start-up: make the certificate, then run the bench in a
  // child process that trusts it (the Graph client insists on https), as the demo does.
  const certificate = await createLoopbackCertificate();
  try {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certificate.certPath,
        BENCH_TLS_CERT: certificate.certPath,
        BENCH_TLS_KEY: certificate.keyPath,
      },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    rmSync(certificate.dir, { recursive: true, force: true });
  }
}

interface RunFigures {
  wallMs: number;
  maxRssKb: number;
  renewed: number;
  failed: number;
  queued: number;
  deferred: number;
  requests: number;
  throttled: number;
}

async function bench(certPath: string, keyPath: string): Promise<void> {
  const { TableClient } = await import('@azure/data-tables');
  const { startAzurite } = await import('../test/support/azurite');
  const { GraphEmulator } = await import('../test/support/graphEmulator');
  const { IdentityEmulator } = await import('../test/support/identityEmulator');

  const exec = promisify(execFile);
  await exec('npm', ['run', 'build'], { cwd: process.cwd() });
  const bundle = `${process.cwd()}/dist/index.js`;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const tenantsOnly = process.argv.includes('--tenants');
  // First, on a quiet machine: nothing else of the bench is running yet.
  if (!tenantsOnly) log('cold start...');
  const coldStart = tenantsOnly ? undefined : await measureColdStart(bundle);

  const azurite = await startAzurite({ queues: true });
  const identity = await IdentityEmulator.start();
  // The home Graph is the managed identity's tenant, as in the tests' harness.
  const graph = await GraphEmulator.start({ certPath, keyPath, tokens: identity.tokens, tenantId: identity.tenantId });
  const scaled = { latencyMs: GRAPH_LATENCY_MS / TIME_SCALE, windowMs: WINDOW_MS / TIME_SCALE };
  let tableNumber = 0;

  /** Stores `total` rows of which `due` are due (the due ones also on Graph), `perMailbox` to a mailbox. */
  async function seed(total: number, due: number): Promise<string> {
    const name = `bench${++tableNumber}`;
    const table = TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    await table.createTable();
    const soon = new Date(Date.now() + 6 * 3_600_000);
    const far = new Date(Date.now() + 20 * 86_400_000);
    // Due rows first, spread evenly through the table: row i is due when i * due / total crosses an integer.
    const batches: Promise<unknown>[] = [];
    let batch: { partitionKey: string; rowKey: string; resource: string; expirationDateTime: Date }[] = [];
    let dueSoFar = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      batches.push(table.submitTransaction(rows.map((row) => ['create', row])));
      if (batches.length >= 8) await Promise.all(batches.splice(0));
    };
    for (let i = 0; i < total; i++) {
      const isDue = Math.floor(((i + 1) * due) / total) > dueSoFar;
      if (isDue) dueSoFar++;
      const mailbox = Math.floor(i / SUBSCRIPTIONS_PER_MAILBOX);
      const id = `sub-${String(i).padStart(6, '0')}`;
      const resource = `users/user-${mailbox}/mailFolders('Inbox')/messages`;
      // One partition per 100 rows: a transaction holds at most 100 rows of one partition.
      const partitionKey = `p${Math.floor(i / 100)}`;
      if (batch.length > 0 && batch[0]!.partitionKey !== partitionKey) await flush();
      batch.push({ partitionKey, rowKey: id, resource, expirationDateTime: isDue ? soon : far });
      if (isDue) graph.add({ id, resource, expirationDateTime: soon });
    }
    await flush();
    await Promise.all(batches);
    return name;
  }

  /** One timer run of the bundle against table `name`, in a child process. */
  async function renew(name: string, settings: Record<string, string> = {}): Promise<RunFigures> {
    // Each run starts with Graph's window clear of the previous run's writes, as a daily run would.
    await new Promise((resolve) => setTimeout(resolve, scaled.windowMs));
    graph.requests.length = 0;
    graph.throttled = 0;
    const env = {
      ...process.env,
      ...identity.environment(),
      TABLES_CONNECTION_STRING: azurite.connectionString,
      AzureWebJobsStorage: azurite.connectionString,
      SUBSCRIPTIONS_TABLE: name,
      RUNS_TABLE: `${name}runs`,
      SUBSCRIPTION_INDEX_TABLE: `${name}index`,
      GRAPH_BASE_URL: graph.baseUrl,
      GRAPH_WRITE_WINDOW_SECONDS: String(scaled.windowMs / 1000),
      GRAPH_WRITES_PER_WINDOW: String(WRITES_PER_WINDOW),
      GRAPH_RETRY_BASE_SECONDS: String(1 / TIME_SCALE),
      RENEWAL_RUN_BUDGET_MINUTES: '50',
      WEBSITE_TIME_ZONE: 'Europe/Paris',
      ...settings,
    };
    const { stdout } = await exec(process.execPath, ['scripts/benchRun.cjs', bundle], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      wallMs: number;
      maxRssKb: number;
      error?: string;
    };
    if (figures.error) throw new Error(`The run failed: ${figures.error}`);
    const runs = TableClient.fromConnectionString(azurite.connectionString, `${name}runs`, {
      allowInsecureConnection: true,
    });
    let record: Record<string, unknown> | undefined;
    for await (const entity of runs.listEntities()) {
      record = entity;
      break;
    }
    return {
      wallMs: figures.wallMs,
      maxRssKb: figures.maxRssKb,
      renewed: Number(record?.renewed ?? 0),
      // Anything due and not renewed counts as a failure here (failed, skipped, expired, left over).
      failed: Number(record?.due ?? 0) - Number(record?.renewed ?? 0),
      queued: Number(record?.queued ?? 0),
      deferred: Number(record?.deferred ?? 0),
      requests: graph.requests.filter((r) => r.method === 'PATCH').length,
      throttled: graph.throttled,
    };
  }

  const lowerBoundMs = (n: number) => {
    const mailboxes = Math.ceil(n / SUBSCRIPTIONS_PER_MAILBOX);
    const allowedConcurrency = MAILBOX_CONCURRENCY * mailboxes;
    const allowedWritesPerMs = WRITES_PER_WINDOW / scaled.windowMs;
    return Math.max((n * scaled.latencyMs) / allowedConcurrency, n / allowedWritesPerMs);
  };

  try {
    graph.latencyMs = scaled.latencyMs;
    graph.limits = {
      mailboxConcurrency: MAILBOX_CONCURRENCY,
      writesPerWindow: WRITES_PER_WINDOW,
      windowMs: scaled.windowMs,
      concurrencyRetryAfterSeconds: 1 / TIME_SCALE,
    };
    // Warms Azurite and the emulators up (JIT, first connections), so the first measured run is not also theirs.
    log('warm-up: 500 due (not reported)...');
    await renew(await seed(500, 500));
    const { measureTenants } = await import('./benchTenants');
    const tenants = () =>
      measureTenants({
        connectionString: azurite.connectionString,
        graph,
        identity,
        certPath,
        keyPath,
        bundle,
        log,
        timeScale: TIME_SCALE,
        latencyMs: GRAPH_LATENCY_MS,
        windowMs: WINDOW_MS,
        writesPerWindow: WRITES_PER_WINDOW,
        mailboxConcurrency: MAILBOX_CONCURRENCY,
        subscriptionsPerMailbox: SUBSCRIPTIONS_PER_MAILBOX,
      });
    if (tenantsOnly) {
      const figures = await tenants();
      const { tenantsTable } = await import('./benchTenantsTable');
      process.stdout.write(tenantsTable(figures));
      // The other parts' figures stay as the last full run measured them.
      if (existsSync('bench/results.json')) {
        const results = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchResults;
        results.tenants = figures;
        writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
        const { chart } = await import('./benchChart');
        writeFileSync('bench/chart.svg', chart(results));
      }
      return;
    }
    const readPathsOnly = process.argv.includes('--read-paths');
    const { measureReadPaths } = await import('./benchReadPaths');
    const readPaths = () =>
      measureReadPaths({
        connectionString: azurite.connectionString,
        graph,
        identityEnv: identity.environment(),
        bundle,
        log,
        renew: (table, settings) => renew(table, settings),
      });
    if (readPathsOnly) {
      const { readPathsTable } = await import('./benchReadPathsTable');
      process.stdout.write(readPathsTable(await readPaths()));
      return;
    }

    const throughput = [];
    for (const n of [1000, 10_000]) {
      log(`throughput: ${n} due...`);
      const table = await seed(n, n);
      const run = await renew(table);
      throughput.push({ n, ...run, lowerBoundMs: lowerBoundMs(n), ratio: run.wallMs / lowerBoundMs(n) });
    }
    log("the seed's way (one at a time): 1000 due...");
    const seedWay = await renew(await seed(1000, 1000), { RENEWAL_CONCURRENCY: '1' });

    const store = [];
    for (const total of [1000, 100_000]) {
      log(`store: ${total} rows, 1000 due...`);
      const started = performance.now();
      const table = await seed(total, 1000);
      log(`  seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      store.push({ stored: total, due: 1000, ...(await renew(table)) });
    }

    const reads = await readPaths();
    const tenantFigures = await tenants();
    const results = {
      measuredAt: new Date().toISOString(),
      machine: `${process.platform} ${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
      timeScale: TIME_SCALE,
      graph: {
        latencyMs: GRAPH_LATENCY_MS,
        writesPerWindow: WRITES_PER_WINDOW,
        windowMs: WINDOW_MS,
        mailboxConcurrency: MAILBOX_CONCURRENCY,
        subscriptionsPerMailbox: SUBSCRIPTIONS_PER_MAILBOX,
      },
      throughput,
      seedWay: { n: 1000, ...seedWay, speedUp: seedWay.wallMs / throughput[0]!.wallMs },
      store,
      coldStart: coldStart!,
      readPaths: reads,
      tenants: tenantFigures,
    };
    mkdirSync('bench', { recursive: true });
    writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
    const { chart } = await import('./benchChart');
    writeFileSync('bench/chart.svg', chart(results));
    const { table } = await import('./benchTable');
    process.stdout.write(table(results));
  } finally {
    await Promise.allSettled([graph.stop(), identity.stop(), azurite.stop()]);
  }
}

/** Whole-process time to load the bundle, median of COLD_START_RUNS, against `node -e 0` in the same run (interleaved). */
async function measureColdStart(bundle: string) {
  const exec = promisify(execFile);
  const time = async (script: string) => {
    const started = performance.now();
    await exec(process.execPath, ['-e', script]);
    return performance.now() - started;
  };
  const sdk = bundle.replace(/index\.js$/, 'sdk.js');
  const bare: number[] = [];
  const entry: number[] = [];
  const firstUse: number[] = [];
  for (let i = 0; i < COLD_START_RUNS; i++) {
    bare.push(await time('0'));
    entry.push(await time(`require(${JSON.stringify(bundle)})`));
    firstUse.push(await time(`require(${JSON.stringify(bundle)}); require(${JSON.stringify(sdk)})`));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const row = (name: string, values: number[], deployableEntry: boolean) => ({
    entry: name,
    ms: median(values),
    ratio: median(values) / median(bare),
    deployableEntry,
  });
  return {
    runs: COLD_START_RUNS,
    nodeMs: median(bare),
    entries: [
      row('dist/index.js', entry, true),
      row('dist/index.js, then dist/sdk.js (what a first invocation adds)', firstUse, false),
    ],
  };
}

if (process.env.BENCH_TLS_CERT && process.env.BENCH_TLS_KEY) {
  bench(process.env.BENCH_TLS_CERT, process.env.BENCH_TLS_KEY).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  void launch().then((code) => process.exit(code));
}

export type BenchResults = {
  measuredAt: string;
  machine: string;
  timeScale: number;
  graph: {
    latencyMs: number;
    writesPerWindow: number;
    windowMs: number;
    mailboxConcurrency: number;
    subscriptionsPerMailbox: number;
  };
  throughput: ({ n: number; lowerBoundMs: number; ratio: number } & RunFigures)[];
  seedWay: { n: number; speedUp: number } & RunFigures;
  store: ({ stored: number; due: number } & RunFigures)[];
  /** `deployableEntry`: what the host loads at start-up (the target); the others are for information. */
  coldStart: {
    runs: number;
    nodeMs: number;
    entries: { entry: string; ms: number; ratio: number; deployableEntry: boolean }[];
  };
  readPaths: import('./benchReadPaths').ReadPathFigures[];
  /** Three customer tenants under the per-tenant and app-wide limits (scripts/benchTenants.ts). */
  tenants?: import('./benchTenants').TenantBenchFigures;
};
