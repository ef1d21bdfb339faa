import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { HttpRequest } from '@azure/functions';
import { afterAll, afterEach, describe, expect, inject, vi } from 'vitest';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { adoptSubscriptions, listSubscriptions } from '../../src/functions/subscriptionOperations';
import { type Azurite, connectionStringFor, startAzurite } from '../support/azurite';
import { HOUR, hoursFrom, MINUTE, storeSubscription } from '../support/fixtures';
import type { Harness, StatusAnswer } from '../support/harness';
import { scenario } from '../support/reliability/invariants';
import { useHarness } from '../support/useHarness';

function statusOf(harness: Harness) {
  return async () =>
    harness.answered(
      (await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus'))) as StatusAnswer,
    );
}

/** Stores `n` subscriptions due within hours, on the table and on Graph. */
async function dueSubscriptions(harness: Harness, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++)
    ids.push(await storeSubscription(harness, { id: `sub-${i}`, expiresAt: hoursFrom(new Date(), 6 + i) }));
  return ids;
}

const savedExpiration = async (harness: Harness, id: string) =>
  ((await harness.row(id)).expirationDateTime as Date).getTime();

// An Azurite of this file's own, keeping its tables on disk: stopped and started again on the same
// port, it still has every row, and the app's connection string still points at it. (One harness a
// file: the managed-identity client keeps the first identity endpoint it finds for the process.)
const location = mkdtempSync(join(tmpdir(), 'azurite-tables-'));
let azurite: Azurite;
// Registered before the harness, so it runs after the harness has dropped its tables.
afterAll(async () => {
  await azurite?.stop();
  rmSync(location, { recursive: true, force: true });
});
const harness = useHarness(
  // One renewal at a time: "after k of n PATCHes" is then an exact point of the run.
  { RENEWAL_CONCURRENCY: '1' },
  async () => {
    azurite = await startAzurite({ location });
    // The renewal queue stays on the shared Azurite: only the tables go down here.
    const queuePort = Number(/QueueEndpoint=http:\/\/127\.0\.0\.1:(\d+)/.exec(inject('azuriteConnectionString'))![1]);
    return {
      connectionString: connectionStringFor(azurite.port, 'http', queuePort),
      certPath: inject('tlsCertPath'),
      keyPath: inject('tlsKeyPath'),
    };
  },
);
/** The timer run, as the host starts it; resolves to the error it failed with, if any (recorded for the leak check). */
const run = () => harness.runTimer();
const status = statusOf(harness);
afterEach(() => {
  vi.useRealTimers();
});

describe('the table service stopped mid-run and started again', () => {
  scenario(
    'storage',
    'Azurite stops after 1 of 3 renewals were saved: the run says so, and the next run renews the other 2 again',
    harness,
    async ({ arranged, checkpoint }) => {
      const ids = await dueSubscriptions(harness, 3);
      const before = await Promise.all(ids.map((id) => savedExpiration(harness, id)));
      await arranged();
      let patches = 0;
      // The second PATCH reaches Graph with the table service already gone: Graph renews it, the table cannot record it.
      harness.graph.onRequest = async (request) => {
        if (request.method === 'PATCH' && ++patches === 2) await azurite.stop();
      };

      const failure = await run();

      // Graph renewed all three: what keeps the notifications coming was done.
      expect(harness.graph.patches()).toHaveLength(3);
      for (const id of ids)
        expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(
          Date.now() + 70 * HOUR,
        );
      // The invocation failed, naming the table and the cause, and the run's own account was logged all the same.
      expect(failure?.message).toMatch(
        new RegExp(`table service holding "${harness.env.RUNS_TABLE}" could not be reached \\(ECONNREFUSED\\)`),
      );
      const finished = harness.messages('error').find((line) => line.includes('"event":"runFinished"'));
      expect(finished).toContain('Renewal run partial: 3 checked, 3 due, 1 renewed, 2 failed');
      expect(finished).toContain('The run could not be recorded in the run history');
      for (const id of ids.slice(1)) {
        expect(harness.messages('error').join('\n')).toContain(
          `Webhook renewed on Graph until ${harness.graph.subscriptions.get(id)!.expirationDateTime.toISOString()} but the table could not be updated (subscription ${id},`,
        );
      }
      expect(harness.messages('error').join('\n')).toContain(
        `table service holding "${harness.env.SUBSCRIPTIONS_TABLE}" could not be reached`,
      );

      azurite = await startAzurite({ location, port: azurite.port });
      // Nothing lost, nothing moved back: the first row holds its renewal, the other two their old expiration.
      await checkpoint();
      expect(await savedExpiration(harness, ids[0]!)).toBe(
        harness.graph.subscriptions.get(ids[0]!)!.expirationDateTime.getTime(),
      );
      expect(await Promise.all(ids.slice(1).map((id) => savedExpiration(harness, id)))).toEqual(before.slice(1));

      // The dead run's record still says "running": the status shows it as the last run, and that no run has finished.
      const meanwhile = await status();
      expect(meanwhile.jsonBody.last_run).toMatchObject({ outcome: 'running', finished_at: null });
      expect(meanwhile.jsonBody.problems).toContainEqual(expect.stringContaining('No renewal run has finished yet'));

      // The two unsaved rows are still leased by the failed run (their leases could not be cleared):
      // the next run after the lease lapses renews them again and saves them.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(Date.now() + 21 * MINUTE));
      harness.graph.requests.length = 0;
      harness.logs.length = 0;
      expect(await run()).toBeUndefined();
      expect(harness.graph.patches().map((patch) => patch.path.split('/').pop())).toEqual(ids.slice(1));
      for (const id of ids.slice(1))
        expect(await savedExpiration(harness, id)).toBe(
          harness.graph.subscriptions.get(id)!.expirationDateTime.getTime(),
        );

      const after = await status();
      expect(after.jsonBody.last_run).toMatchObject({ outcome: 'succeeded', renewed: 2 });
      expect(after.status).toBe(200);
    },
    60_000,
  );
});

describe('a row changed by someone else while its renewal is in flight (ETag conflict)', () => {
  scenario(
    'storage',
    'a later expiration another writer stored meanwhile is kept, not overwritten',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await arranged();
      let later: Date | undefined;
      // Once Graph has renewed the run's PATCH, and before the run hears back: another writer renews the
      // subscription further on Graph and stores that on the row (its ETag changes under the run's lease).
      harness.graph.onRequest = (request) => {
        if (request.method !== 'PATCH') return;
        return async () => {
          const onGraph = harness.graph.subscriptions.get(id!)!;
          later = new Date(onGraph.expirationDateTime.getTime() + 30 * MINUTE);
          onGraph.expirationDateTime = later;
          await harness.subscriptionsTable.updateEntity(
            { partitionKey: 'default', rowKey: id!, expirationDateTime: later, lastRenewedAt: new Date() },
            'Merge',
          );
        };
      };

      expect(await run()).toBeUndefined();

      expect(harness.graph.patches(id)).toHaveLength(1);
      expect(await savedExpiration(harness, id!)).toBe(later!.getTime());
      expect(harness.messages().join('\n')).toContain(`(subscription ${id}, resource`);
      expect(harness.messages().join('\n')).toContain('(a concurrent run had already stored a later one)');
      expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 1, failed: 0 });
      // The lease the run took is given back all the same.
      expect((await harness.row(id!)).leaseUntil).toBe('');
    },
  );

  scenario(
    'storage',
    'a missed notification recorded on the row during the PATCH is kept beside the renewal',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await arranged();
      harness.graph.onRequest = async (request) => {
        if (request.method === 'PATCH')
          expect((await harness.graph.sendLifecycle(id!, 'missed')).status).toBeLessThan(300);
      };

      expect(await run()).toBeUndefined();

      const row = await harness.row(id!);
      expect(row.lastMissedAt).toBeInstanceOf(Date);
      expect((row.expirationDateTime as Date).getTime()).toBe(
        harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime(),
      );
      expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 1 });
    },
  );

  scenario(
    'storage',
    'reauthorizationRequired arriving during the PATCH: the lifecycle handler leaves the leased row to the run, whose PATCH settles it',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await arranged();
      let sent = false;
      harness.graph.onRequest = async (request) => {
        if (request.method !== 'PATCH' || sent) return;
        sent = true;
        expect((await harness.graph.sendLifecycle(id!, 'reauthorizationRequired')).status).toBeLessThan(300);
      };

      expect(await run()).toBeUndefined();

      // One PATCH: the lifecycle handler found the row leased and did not renew it a second time.
      expect(harness.graph.patches(id)).toHaveLength(1);
      expect(harness.messages().join('\n')).toContain(
        `Webhook skipped: another run or request is renewing it, or just did (subscription ${id}`,
      );
      const row = await harness.row(id!);
      // A PATCH also reauthorizes: the event is dealt with, and the renewal is stored despite the ETag change.
      expect(row.pendingLifecycleEvent).toBe('');
      expect((row.expirationDateTime as Date).getTime()).toBe(
        harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime(),
      );
    },
  );
});

describe('a table missing', () => {
  const list = async () =>
    harness.answered(
      (await listSubscriptions(
        new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/webhooks/subscriptions' }),
        harness.context('listSubscriptions'),
      )) as StatusAnswer,
    );
  const noStackNoSecret = (text: string) => {
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).not.toContain('AccountKey');
    expect(text).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
  };

  scenario(
    'storage',
    'the subscriptions table deleted while the app runs: each entry point names it and says what to do; adopt brings the rows back',
    harness,
    async ({ arranged }) => {
      const ids = await dueSubscriptions(harness, 2);
      // A warm instance: it has made sure of both tables already.
      await status();
      await arranged();
      await harness.subscriptionsTable.deleteTable();

      const missing = `The table "${harness.env.SUBSCRIPTIONS_TABLE}" does not exist (deleted, or not provisioned): run "azd provision" to create it`;
      const failure = await run();
      expect(failure?.message).toContain(missing);
      noStackNoSecret(failure!.message);
      expect(harness.messages('error').find((line) => line.includes('"event":"runFinished"'))).toContain(
        'Renewal run failed',
      );
      expect((await harness.runs())[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining(missing) });
      expect(harness.graph.patches()).toHaveLength(0);

      // The failed run forgot that the table exists: the status creates it again (empty), and reports the failed run.
      const after = await status();
      expect(after.status).toBe(503);
      expect(after.jsonBody.problems).toContainEqual(expect.stringContaining(`failed: ${missing}`));
      expect(after.jsonBody.subscriptions).toMatchObject({ total: 0 });

      // Deleted again under a warm instance: the status, then the operations, each name the table first.
      await harness.subscriptionsTable.deleteTable();
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([
        expect.stringContaining(`Could not read the subscription tables: ${missing}`),
      ]);
      noStackNoSecret(JSON.stringify(answer.jsonBody));
      expect((await list()).status).toBe(200);

      await harness.subscriptionsTable.deleteTable();
      const listed = await list();
      expect(listed.status).toBe(503);
      expect(listed.jsonBody.error).toContain(missing);
      expect(listed.jsonBody.error).toContain(
        '"adopt" (npm run ops -- adopt) stores the app\'s Graph subscriptions again',
      );
      noStackNoSecret(JSON.stringify(listed.jsonBody));

      // What the message says to do works: the next call creates the table, adopt stores Graph's subscriptions in it.
      const adopted = harness.answered(
        (await adoptSubscriptions(
          new HttpRequest({ method: 'POST', url: 'http://localhost:7071/api/webhooks/subscriptions/adopt' }),
          harness.context('adoptSubscriptions'),
        )) as StatusAnswer,
      );
      expect(adopted.status).toBe(200);
      expect(adopted.jsonBody.adopted.map((view: { id: string }) => view.id).sort()).toEqual([...ids].sort());
      expect(await run()).toBeUndefined();
      expect(
        harness.graph
          .patches()
          .map((patch) => patch.path.split('/').pop())
          .sort(),
      ).toEqual([...ids].sort());
    },
  );

  scenario(
    'storage',
    'the index table deleted while the app runs: the status names it, the next call creates it and takes a census, and a failure is reported again',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await status();
      await arranged();
      await harness.indexTable.deleteTable();

      const missing = `The table "${harness.env.SUBSCRIPTION_INDEX_TABLE}" does not exist (deleted, or not provisioned): run "azd provision" to create it`;
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([
        expect.stringContaining(`Could not read the subscription tables: ${missing}`),
      ]);
      noStackNoSecret(JSON.stringify(answer.jsonBody));

      // The next call creates it again, empty, and takes the census it no longer holds.
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 403,
        times: Infinity,
        code: 'Forbidden',
        message: 'Insufficient privileges.',
      });
      expect((await run())?.message).toMatch(/no subscription could be renewed/);
      const after = await status();
      expect(after.jsonBody.subscriptions).toMatchObject({ total: 1, failing: 1 });
      expect(after.jsonBody.problems).toContainEqual(
        expect.stringMatching(
          new RegExp(`^Subscription ${id} .*failed its last 1 renewal attempt\\(s\\): last status 403 Forbidden`),
        ),
      );
      return { unrenewable: [id!] };
    },
  );

  scenario(
    'storage',
    'the runs table deleted while the app runs: the run does not start and says why; the next run creates it again',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await status();
      await arranged();
      await harness.runsTable.deleteTable();

      const missing = `The table "${harness.env.RUNS_TABLE}" does not exist (deleted, or not provisioned): run "azd provision" to create it`;
      const failure = await run();
      expect(failure?.message).toContain(missing);
      noStackNoSecret(failure!.message);
      expect(harness.messages('error').join('\n')).toContain(
        `Renewal check could not run: the run history could not be written: ${missing}`,
      );
      // Nothing was renewed half-way: the run stops before reading a row.
      expect(harness.graph.patches()).toHaveLength(0);

      // The status creates it again (empty): the history is gone, and it says no run has finished.
      const after = await status();
      expect(after.status).toBe(503);
      expect(after.jsonBody.problems).toContainEqual(expect.stringContaining('No renewal run has finished yet'));

      // Deleted again under a warm instance: the status names it.
      await harness.runsTable.deleteTable();
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([
        expect.stringContaining(`Could not read the subscription tables: ${missing}`),
      ]);
      noStackNoSecret(JSON.stringify(answer.jsonBody));

      expect(await run()).toBeUndefined();
      expect(harness.graph.patches(id)).toHaveLength(1);
      expect((await status()).jsonBody.last_run).toMatchObject({ outcome: 'succeeded', renewed: 1 });
    },
  );

  scenario(
    'storage',
    'the subscriptions table deleted while Graph creates a lost subscription again: what Graph created is kept, and adopt brings it back',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      harness.graph.subscriptions.delete(id!);
      await arranged();
      harness.graph.onRequest = (request) => {
        if (request.method !== 'POST') return undefined;
        // Graph has created the successor; before its answer comes back, the table goes.
        return async () => void (await harness.subscriptionsTable.deleteTable());
      };

      await run();
      harness.graph.onRequest = undefined;

      // Not taken for "the row was removed meanwhile", which would delete the new subscription again.
      expect(harness.graph.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
      const [successor] = [...harness.graph.subscriptions.values()];
      expect(successor).toBeDefined();
      expect(harness.messages('error').join('\n')).toContain(
        `Webhook recreated on Graph as ${successor!.id} but the table could not be updated`,
      );

      const adopted = harness.answered(
        (await adoptSubscriptions(
          new HttpRequest({ method: 'POST', url: 'http://localhost:7071/api/webhooks/subscriptions/adopt' }),
          harness.context('adoptSubscriptions'),
        )) as StatusAnswer,
      );
      expect(adopted.jsonBody.adopted.map((view: { id: string }) => view.id)).toEqual([successor!.id]);
      // The lost subscription's row went with the table: the one adopt stored carries it on.
      return { removed: [id!] };
    },
  );

  scenario(
    'storage',
    'tables never created: the first run creates them, as README "Configuration" says, and works',
    harness,
    async ({ arranged }) => {
      const [id] = await dueSubscriptions(harness, 1);
      await arranged();
      // Settings naming tables nobody created (a new deployment that skipped the infrastructure).
      process.env.RUNS_TABLE = `renewalrunsnew${Date.now()}`;
      const runs = TableClient.fromConnectionString(harness.env.TABLES_CONNECTION_STRING!, process.env.RUNS_TABLE, {
        allowInsecureConnection: true,
      });
      try {
        expect((await run())?.message).toBeUndefined();
        expect(harness.graph.patches(id)).toHaveLength(1);
        const records = [];
        for await (const record of runs.listEntities()) records.push(record);
        expect(records).toEqual([expect.objectContaining({ outcome: 'succeeded', renewed: 1 })]);
      } finally {
        await runs.deleteTable().catch(() => undefined);
      }
    },
  );
});
