/**
 * The bench's "read paths": what the status, the health answer, a page of the list, adopt, a burst of
 * lifecycle notifications and a run with few due cost at 1,000 and at 100,000 rows (Azurite in
 * memory, 100 partitions). Table requests are counted by a proxy in front of Azurite
 * (test/support/requestCounter.ts); every call is the deployable bundle's own handler.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { GraphEmulator } from '../test/support/graphEmulator';

const PARTITIONS = 100;
const DUE = 10;
const BURST = 100;
const REPEATS = 15;

export interface ReadPathFigures {
  rows: number;
  seedMs: number;
  census: { ms: number; requests: number };
  status: { ms: number; requests: number };
  health: { ms: number; requests: number };
  listPage: { ms: number; maxRssKb: number; bytes: number };
  adopt: { ms: number; requests: number; adopted: number; alreadyStored: number };
  lifecycle: {
    notifications: number;
    accepted: number;
    refused: number;
    recordedBeforeAnswer: number;
    slowestMs: number;
  };
  run: { ms: number; requests: number; due: number; renewed: number };
  /** The same requests made with the SDK alone, no app: what Azurite itself costs at this size. */
  azurite: { pageMs: number; dueQueryMs: number; pointReadMs: number };
}

export interface ReadPathTools {
  connectionString: string;
  graph: GraphEmulator;
  identityEnv: Record<string, string>;
  bundle: string;
  log: (line: string) => void;
  /** One timer run of the bundle in a child process, as the bench's other sections run it. */
  renew: (
    table: string,
    settings: Record<string, string>,
  ) => Promise<{ wallMs: number; renewed: number; failed: number }>;
}

export async function measureReadPaths(
  tools: ReadPathTools,
  sizes = (process.env.BENCH_READ_SIZES ?? '1000,100000').split(',').map(Number),
): Promise<ReadPathFigures[]> {
  const { TableClient } = await import('@azure/data-tables');
  const { RequestCounter } = await import('../test/support/requestCounter');
  const upstream = /TableEndpoint=(http:\/\/[^/;]+)/.exec(tools.connectionString)![1]!;
  const counter = await RequestCounter.start(upstream);
  const connectionString = counter.connectionString(tools.connectionString);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built CommonJS bundle, by a path known at run time
  const app = require(tools.bundle) as Record<
    string,
    (...args: unknown[]) => Promise<{ status?: number; jsonBody?: Record<string, unknown> }>
  >;
  const noop = () => undefined;
  const context = {
    invocationId: 'bench',
    functionName: 'bench',
    log: noop,
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
  };
  const request = (query = '', body?: string) => ({
    query: new URLSearchParams(query),
    headers: new Headers({ 'content-type': 'application/json' }),
    params: {},
    body: body === undefined ? null : new Blob([body]).stream(),
  });
  const results: ReadPathFigures[] = [];
  try {
    for (const rows of sizes) {
      const name = `reads${rows}${randomBytes(2).toString('hex')}`;
      const table = (suffix = '') =>
        TableClient.fromConnectionString(tools.connectionString, `${name}${suffix}`, { allowInsecureConnection: true });
      tools.log(`read paths: seeding ${rows} rows in ${PARTITIONS} partitions...`);
      const seeded = performance.now();
      const ids = await seed(table(), table('index'), rows);
      const seedMs = performance.now() - seeded;
      tools.log(`  seeded in ${(seedMs / 1000).toFixed(1)} s`);
      const clientState = randomBytes(24).toString('base64url');
      const env = {
        ...tools.identityEnv,
        TABLES_CONNECTION_STRING: connectionString,
        SUBSCRIPTIONS_TABLE: name,
        RUNS_TABLE: `${name}runs`,
        SUBSCRIPTION_INDEX_TABLE: `${name}index`,
        GRAPH_BASE_URL: tools.graph.baseUrl,
        WEBSITE_TIME_ZONE: 'Europe/Paris',
        WEBHOOK_CLIENT_STATE: clientState,
        WEBHOOK_NOTIFICATION_URL: 'https://consumer.example/notifications',
      };
      Object.assign(process.env, env);
      tools.graph.subscriptions.clear();
      const soon = new Date(Date.now() + 6 * 3_600_000);
      for (const id of ids.due)
        tools.graph.add({ id, resource: resourceOf(id), expirationDateTime: soon, clientState });

      // The daily run first (10 due), in a process of its own: it also leaves a finished run for the status.
      counter.reset();
      const run = await tools.renew(name, {
        TABLES_CONNECTION_STRING: connectionString,
        SUBSCRIPTION_INDEX_TABLE: `${name}index`,
        WEBHOOK_CLIENT_STATE: clientState,
      });
      const runRequests = counter.total(name);

      tools.log('  census...');
      counter.reset();
      const censusStarted = performance.now();
      await app.subscriptionCensus!({ isPastDue: false }, context);
      const census = { ms: performance.now() - censusStarted, requests: counter.total() };
      // Azurite settles after the census's writes (its memory, its GC) before the reads are timed.
      await new Promise((resolve) => setTimeout(resolve, 2000));

      const timed = async (call: () => Promise<unknown>) => {
        await call();
        const times: number[] = [];
        let requests = 0;
        for (let i = 0; i < REPEATS; i++) {
          counter.reset();
          const started = performance.now();
          await call();
          times.push(performance.now() - started);
          requests = counter.total();
        }
        return { ms: median(times), requests };
      };
      tools.log('  status, health, a page of the list, adopt...');
      const status = await timed(() => app.schedulerStatus!(request(), context));
      const health = await timed(() => app.health!(request(), context));
      const listPage = await listInChild(tools.bundle, { ...process.env, ...env });
      counter.reset();
      const adoptStarted = performance.now();
      const adopted = await app.adoptSubscriptions!(request(), context);
      const adopt = {
        ms: performance.now() - adoptStarted,
        requests: counter.total(),
        adopted: (adopted.jsonBody?.adopted as unknown[] | undefined)?.length ?? -1,
        alreadyStored: Number(adopted.jsonBody?.alreadyStored ?? -1),
      };

      tools.log(`  ${BURST} lifecycle notifications at once...`);
      const targets = ids.spread.slice(0, BURST);
      for (const id of targets)
        tools.graph.add({
          id,
          resource: resourceOf(id),
          expirationDateTime: new Date(Date.now() + 65 * 3_600_000),
          clientState,
        });
      const sentAt = new Date();
      const answers = await Promise.all(
        targets.map(async (id) => {
          const body = JSON.stringify({
            value: [{ subscriptionId: id, clientState, lifecycleEvent: 'reauthorizationRequired', tenantId: 't' }],
          });
          const started = performance.now();
          const answer = await app.lifecycleNotifications!(request('', body), context);
          return { id, status: answer.status, ms: performance.now() - started };
        }),
      );
      let recordedBeforeAnswer = 0;
      for (const answer of answers.filter((a) => a.status === 202)) {
        // Read straight after the answers: what a 202 acknowledged is on the row (or was acted on already).
        const row = await table().getEntity<Record<string, unknown>>(partitionOf(answer.id), answer.id);
        if (row.lastLifecycleEventAt instanceof Date && row.lastLifecycleEventAt.getTime() >= sentAt.getTime() - 1000)
          recordedBeforeAnswer++;
      }
      const lifecycle = {
        notifications: BURST,
        accepted: answers.filter((a) => a.status === 202).length,
        refused: answers.filter((a) => a.status !== 202).length,
        recordedBeforeAnswer,
        slowestMs: Math.max(...answers.map((a) => a.ms)),
      };
      // The renewals the notifications started go on in this process: let them end before the next size.
      for (let waited = 0; tools.graph.patches().length < BURST + DUE && waited < 60_000; waited += 250)
        await new Promise((r) => setTimeout(r, 250));

      const azurite = await bare(table());
      results.push({
        rows,
        seedMs,
        census,
        status,
        health,
        listPage,
        adopt,
        lifecycle,
        run: { ms: run.wallMs, requests: runRequests, due: DUE, renewed: run.renewed },
        azurite,
      });
      for (const suffix of ['', 'runs', 'index'])
        await table(suffix)
          .deleteTable()
          .catch(() => undefined);
    }
  } finally {
    await counter.stop();
  }
  return results;
}

const partitionOf = (id: string) => `p${Number(id.slice(4)) % PARTITIONS}`;
const resourceOf = (id: string) => `users/user-${Math.floor(Number(id.slice(4)) / 4)}/mailFolders('Inbox')/messages`;

/**
 * `rows` rows as this version writes them (with their id entries), in 100 partitions, a transaction of
 * 100 rows of one partition at a time, 8 at once: 10 due in 6 hours, the others spread over 61-71 hours
 * (renewed lately, as a daily run leaves them).
 */
async function seed(
  table: import('@azure/data-tables').TableClient,
  index: import('@azure/data-tables').TableClient,
  rows: number,
) {
  const { idPartition } = await import('../src/storage/subscriptionIndex');
  await Promise.all([table.createTable(), index.createTable()]);
  const now = Date.now();
  const due: string[] = [];
  const byPartition = new Map<string, Record<string, unknown>[]>();
  const entries = new Map<string, Record<string, unknown>[]>();
  for (let i = 0; i < rows; i++) {
    const id = `sub-${String(i).padStart(6, '0')}`;
    const isDue = i % Math.floor(rows / DUE) === 0 && due.length < DUE;
    if (isDue) due.push(id);
    const partitionKey = partitionOf(id);
    const expirationDateTime = new Date(isDue ? now + 6 * 3_600_000 : now + (61 + ((i * 7919) % 600) / 60) * 3_600_000);
    const row = {
      partitionKey,
      rowKey: id,
      resource: resourceOf(id),
      changeType: 'created',
      notificationUrl: 'https://consumer.example/notifications',
      expirationDateTime,
      state: 'active',
      consecutiveFailures: 0,
      idIndexed: true,
    };
    byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), row]);
    const shard = idPartition(id);
    entries.set(shard, [
      ...(entries.get(shard) ?? []),
      { partitionKey: shard, rowKey: id, subscriptionPartition: partitionKey },
    ]);
  }
  const batches: (() => Promise<unknown>)[] = [];
  for (const [target, groups] of [
    [table, byPartition],
    [index, entries],
  ] as const) {
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += 100) {
        const chunk = group.slice(i, i + 100) as { partitionKey: string; rowKey: string }[];
        batches.push(() => target.submitTransaction(chunk.map((row) => ['create', row])));
      }
    }
  }
  for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map((batch) => batch()));
  // Ids spread over every partition, none of the due ones: the lifecycle burst's targets.
  const spread = Array.from(
    { length: BURST },
    (_, k) => `sub-${String((k * Math.floor(rows / BURST) + 1) % rows).padStart(6, '0')}`,
  );
  return { due, spread };
}

async function listInChild(bundle: string, env: NodeJS.ProcessEnv) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['scripts/benchCall.cjs', bundle, 'listSubscriptions', 'limit=100'],
    { env, maxBuffer: 16 * 1024 * 1024 },
  );
  const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    wallMs: number;
    maxRssKb: number;
    bytes: number;
    error?: string;
    status?: number;
  };
  if (figures.error || figures.status !== 200) throw new Error(`The list failed: ${figures.error ?? figures.status}`);
  return { ms: figures.wallMs, maxRssKb: figures.maxRssKb, bytes: figures.bytes };
}

/**
 * Azurite keeps a table in memory and evaluates a query over every row of it (it has no index but
 * the keys): what one page, the run's due query and a point read cost it, with no app around them.
 */
async function bare(table: import('@azure/data-tables').TableClient): Promise<ReadPathFigures['azurite']> {
  const { odata } = await import('@azure/data-tables');
  const time = async (call: () => Promise<unknown>) => {
    await call();
    const times: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const started = performance.now();
      await call();
      times.push(performance.now() - started);
    }
    return median(times);
  };
  const horizon = new Date(Date.now() + 60 * 3_600_000);
  return {
    pageMs: await time(async () => {
      for await (const page of table.listEntities().byPage({ maxPageSize: 100 })) return page;
    }),
    dueQueryMs: await time(async () => {
      const filter = odata`expirationDateTime lt ${horizon} or state eq ${'expired'} or pendingLifecycleEvent gt ${''}`;
      for await (const page of table.listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: 1000 }))
        void page;
    }),
    pointReadMs: await time(() => table.getEntity('p5', 'sub-000005')),
  };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}
