import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, vi } from 'vitest';
import { renewalContextFor } from '../../src/compositionRoot/renewalInputs';
import { servicesFor } from '../../src/compositionRoot/services';
import { loadConfig } from '../../src/config';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { isDue } from '../../src/renewal/policy/due';
import { RENEWAL_SCHEDULE, scheduleFrom } from '../../src/renewal/policy/schedule';
import { HOUR, hoursFrom, MINUTE, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { scenario } from '../support/reliability/invariants';
import { captureOutput } from '../support/reliability/leakWatch';
import { useHarness } from '../support/useHarness';

const N = 30;
const K = 10;
const MARGIN_HOURS = 36; // RENEWAL_MARGIN_HOURS' default

// One renewal at a time, in the child as here: "killed after k of n PATCHes" is then an exact point.
const harness = useHarness({ RENEWAL_CONCURRENCY: '1' });
const run = () => harness.runTimer();
const status = async () =>
  harness.answered(
    (await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus'))) as StatusAnswer,
  );

afterEach(() => {
  vi.useRealTimers();
});

/**
 * N subscriptions that became due at this run and were not due at the one before: each expires
 * between the next scheduled run plus 12 h and plus the margin (36 h), the window a daily schedule
 * with the default margin puts a subscription in when it first becomes due.
 */
async function firstDueSubscriptions(): Promise<{ ids: string[]; nextRunAt: Date }> {
  const { nextRunAt } = scheduleFrom(new Date(), RENEWAL_SCHEDULE, 'Europe/Paris');
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const expiresAt = new Date(nextRunAt.getTime() + 12 * HOUR + i * 30 * MINUTE);
    ids.push(await storeSubscription(harness, { id: `sub-${String(i).padStart(2, '0')}`, expiresAt }));
  }
  return { ids, nextRunAt };
}

/** The timer run in a process of its own, SIGKILLed as the K-th `method` request reaches Graph (which still serves it: the answer is lost). */
async function runKilledAfterKPatches(method = 'PATCH', k = K): Promise<{ child: ChildProcess; patched: string[] }> {
  const patched: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/timerRun.ts'], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = once(child, 'exit');
  let served!: () => void;
  const lastServed = new Promise<void>((resolve) => (served = resolve));
  harness.graph.onRequest = async (request) => {
    if (request.method !== method) return;
    patched.push(request.path.split('/').pop()!);
    if (patched.length !== k) return;
    child.kill('SIGKILL');
    await exited;
    // Graph goes on with the request the dead run sent: the test waits for that too.
    return async () => served();
  };
  const [code, signal] = await exited;
  // (A child that died before the k-th request would leave nothing to wait for; the assertion below says so.)
  if (patched.length >= k) await lastServed;
  captureOutput('child', output);
  harness.graph.onRequest = undefined;
  expect({ code, signal }, output).toEqual({ code: null, signal: 'SIGKILL' });
  return { child, patched };
}

/** How long a row is leased (policy.leaseMs from the harness's Graph settings), as the app works it out. */
const leaseMs = async () => (await renewalContextFor(servicesFor(loadConfig()), harness.context('lease'))).leaseMs;
const expirationOf = async (id: string) => ((await harness.row(id)).expirationDateTime as Date).getTime();
const patchedIds = () => harness.graph.patches().map((patch) => patch.path.split('/').pop()!);

describe('a run killed after 10 of 30 renewals', () => {
  scenario(
    'process',
    'an immediate re-run skips the 21 rows the dead run still leases and says until when; the run after the lease lapses renews exactly them',
    harness,
    async ({ arranged, checkpoint }) => {
      const { ids } = await firstDueSubscriptions();
      const before = new Map(await Promise.all(ids.map(async (id) => [id, await expirationOf(id)] as const)));
      await arranged();

      const { patched } = await runKilledAfterKPatches();

      // The first K rows in table order reached Graph; the first K-1 were saved, the K-th renewed on Graph only.
      expect(patched).toEqual(ids.slice(0, K));
      for (const id of ids.slice(0, K - 1))
        expect(await expirationOf(id)).toBe(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime());
      const rest = ids.slice(K - 1);
      for (const id of rest) {
        expect(await expirationOf(id)).toBe(before.get(id));
        // Leased ahead by the dead run, and never given back.
        expect(((await harness.row(id)).leaseUntil as Date).getTime()).toBeGreaterThan(Date.now());
      }
      // Its run record says "running", and will: the status shows it as the last run, not yet as abandoned.
      expect((await harness.runs())[0]).toMatchObject({ outcome: 'running' });
      const meanwhile = await status();
      expect(meanwhile.jsonBody.last_run).toMatchObject({ outcome: 'running', finished_at: null });
      expect(meanwhile.jsonBody.problems).not.toContainEqual(expect.stringContaining('never finished'));
      await checkpoint();

      // Right away (a person presses "run" again): the dead run's leases keep all 21 rows off, named one by one with the lease's end.
      harness.graph.requests.length = 0;
      expect(await run()).toBeUndefined();
      expect(harness.graph.patches()).toHaveLength(0);
      expect((await harness.runs())[0]).toMatchObject({
        outcome: 'succeeded',
        checked: rest.length,
        due: rest.length,
        renewed: 0,
        skipped: rest.length,
      });
      const skipped = harness.messages().filter((line) => line.includes('"event":"subscriptionSkipped"'));
      expect(skipped).toHaveLength(rest.length);
      for (const id of rest) {
        expect(skipped.find((line) => line.includes(`(subscription ${id},`))).toMatch(
          /Its lease runs until \S+Z: if the run holding it stopped, the first run after then renews it\./,
        );
      }
      expect(harness.messages().find((line) => line.includes('"event":"runFinished"'))).toContain(
        `0 renewed, 0 failed, 0 recreated, 0 expired, ${rest.length} skipped`,
      );
      await checkpoint();

      // Once the lease has lapsed, the next run renews exactly the rows the dead run did not save, the K-th again included.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(Date.now() + (await leaseMs()) + MINUTE));
      harness.graph.requests.length = 0;
      expect(await run()).toBeUndefined();
      expect(patchedIds().sort()).toEqual([...rest].sort());
      for (const id of ids)
        expect(await expirationOf(id)).toBe(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime());
      const after = await status();
      expect(after.jsonBody.last_run).toMatchObject({ outcome: 'succeeded', renewed: rest.length, skipped: 0 });
    },
    60_000,
  );

  scenario(
    'process',
    'nothing runs until the next scheduled run: the status calls the dead run abandoned, and the scheduled run renews the 21 left before any expires',
    harness,
    async ({ arranged }) => {
      const { ids, nextRunAt } = await firstDueSubscriptions();
      await arranged();
      await runKilledAfterKPatches();
      const rest = ids.slice(K - 1);

      // The policy's promise, for these rows: due now, yet still alive at the next scheduled run.
      for (const id of rest) {
        const expiration = new Date(await expirationOf(id));
        expect(isDue(expiration, nextRunAt, MARGIN_HOURS)).toBe(true);
        expect(expiration.getTime()).toBeGreaterThan(nextRunAt.getTime());
      }

      // Two hours on (longer than any run may last), the status names the run that never finished.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(Date.now() + 2 * HOUR + MINUTE));
      const later = await status();
      expect(later.status).toBe(503);
      expect(later.jsonBody.problems).toContainEqual(
        expect.stringMatching(
          /^The renewal run started at \S+ never finished \(stopped by a timeout or a restart\): see its log\.$/,
        ),
      );

      // The next scheduled run (Graph's clock too): every subscription is still alive on Graph, and the
      // run renews the 21 left and whichever of the 9 the dead run renewed are due again. (Those were
      // renewed at the real time of day this test runs, so whether they are due at the next 09:00
      // depends on it: the policy says which.)
      vi.setSystemTime(nextRunAt);
      for (const id of ids)
        expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(Date.now());
      const following = scheduleFrom(nextRunAt, RENEWAL_SCHEDULE, 'Europe/Paris').nextRunAt;
      const dueThen: string[] = [];
      for (const id of ids) if (isDue(new Date(await expirationOf(id)), following, MARGIN_HOURS)) dueThen.push(id);
      expect(dueThen).toEqual(expect.arrayContaining(rest));
      harness.graph.requests.length = 0;
      expect(await run()).toBeUndefined();
      expect(patchedIds().sort()).toEqual([...dueThen].sort());
      const answer = await status();
      expect(answer.jsonBody.last_run).toMatchObject({ outcome: 'succeeded', renewed: dueThen.length, skipped: 0 });
      expect(answer.jsonBody.problems).not.toContainEqual(expect.stringContaining('never finished'));
    },
    60_000,
  );

  scenario(
    'process',
    'a run killed while Graph creates a lost subscription again: the run after the lease adopts what Graph created, no duplicate',
    harness,
    async ({ arranged }) => {
      const gone = await storeSubscription(harness, {
        id: 'sub-gone',
        expiresAt: hoursFrom(new Date(), 6),
        onGraph: false,
      });
      await arranged();

      // The PATCH finds it gone (404), the row is marked "being recreated", and the POST reaches Graph as the run dies.
      await runKilledAfterKPatches('POST', 1);
      expect(harness.graph.subscriptions.size).toBe(1);
      const [created] = harness.graph.subscriptions.keys();
      expect(await harness.row(gone)).toMatchObject({ state: 'expired', recreateStartedAt: expect.any(Date) });
      expect(((await harness.row(gone)).leaseUntil as Date).getTime()).toBeGreaterThan(Date.now());

      // Right away: left alone (leased), and said so.
      harness.graph.requests.length = 0;
      expect(await run()).toBeUndefined();
      expect(harness.graph.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);
      expect(harness.messages().join('\n')).toContain(
        `Webhook skipped: another run or request is renewing it, or just did (subscription ${gone},`,
      );

      // After the lease: the subscription the dead run created is found and put in the row's place; none is created again.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date(Date.now() + (await leaseMs()) + MINUTE));
      harness.graph.requests.length = 0;
      expect(await run()).toBeUndefined();
      expect(harness.graph.requests.filter((request) => request.method === 'POST')).toHaveLength(0);
      expect(harness.graph.subscriptions.size).toBe(1);
      expect(await harness.row(created!)).toMatchObject({ state: 'active', replaces: gone });
      expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', recreated: 1 });
      // The old row went: it was replaced, which the invariants accept (the new row names it).
    },
    60_000,
  );
});
