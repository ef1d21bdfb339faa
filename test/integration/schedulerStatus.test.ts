import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const NOW = new Date('2026-11-28T12:00:00Z'); // 13:00 in Paris, winter

const status = async (query = '') =>
  harness.answered(
    await schedulerStatus(harness.statusRequest(query), harness.context('schedulerStatus')),
  ) as StatusAnswer;
const runTimer = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

describe('a healthy scheduler', () => {
  it("answers 200 with the seed's fields, so existing callers keep working", async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });
    await runTimer();

    const answer = await status();

    expect(answer.status).toBe(200);
    expect(answer.jsonBody).toMatchObject({
      success: true,
      scheduler: { is_running: true, next_run_time: expect.any(String), timezone: 'Europe/Paris (UTC+1)' },
    });
  });

  it('tells when the next check runs, in Paris time and in UTC, with the offset of that day', async () => {
    const { scheduler } = (await status()).jsonBody;
    expect(scheduler).toEqual({
      is_running: true,
      next_run_time: '2026-11-29T09:00:00+01:00',
      next_run_time_utc: '2026-11-29T08:00:00.000Z',
      timezone: 'Europe/Paris (UTC+1)',
      utc_offset: '+01:00',
      schedule: '0 0 9 * * *',
      function: 'renewSubscriptions',
    });
  });

  it('gives the summer offset for a run in summer', async () => {
    vi.setSystemTime(new Date('2026-07-01T12:00:00Z'));
    const { scheduler } = (await status()).jsonBody;
    expect(scheduler).toMatchObject({ next_run_time: '2026-07-02T09:00:00+02:00', timezone: 'Europe/Paris (UTC+2)' });
  });

  it('summarises the last run and counts the subscriptions', async () => {
    const soonest = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 30) });
    await runTimer();
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 2), id: 'added-after-the-run' });

    const body = (await status()).jsonBody;

    expect(body.last_run).toMatchObject({
      trigger: 'timer',
      outcome: 'succeeded',
      checked: 2,
      due: 2,
      renewed: 2,
      failed: 0,
    });
    expect(body.last_finished_run_at).toBe(NOW.toISOString());
    expect(body.subscriptions).toEqual({
      total: 3,
      active: 3,
      due_before_next_run: 1,
      expired: 0,
      failing: 0,
      invalid: 0,
      cannot_be_kept_alive: 0,
      short_lived: 0,
      recreated_last_24h: 0,
      missed_notifications_last_24h: 0,
      soonest_expiration: {
        id: 'added-after-the-run',
        resource: expect.any(String),
        expiration_date_time: hoursFrom(NOW, 2).toISOString(),
      },
    });
    expect(soonest).not.toBe('added-after-the-run');
  });

  it('lists the subscriptions expiring within ?hours=, soonest first', async () => {
    await runTimer();
    const in30 = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 30) });
    const in6 = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 72) });

    const { expiring_within } = (await status('?hours=48')).jsonBody;

    expect(expiring_within).toMatchObject({ hours: 48, count: 2, truncated: false });
    expect(expiring_within.subscriptions.map((s: { id: string }) => s.id)).toEqual([in6, in30]);
    expect(expiring_within.subscriptions[0]).toMatchObject({ state: 'active', hours_left: 6, consecutive_failures: 0 });
  });

  it.each(['abc', '-1', '0', '1e12', '100000', ''])(
    'refuses ?hours=%s with 400 and says what it takes',
    async (hours) => {
      const answer = await status(`?hours=${hours}`);
      expect(answer.status).toBe(400);
      expect(answer.jsonBody).toEqual({
        success: false,
        error: expect.stringMatching(/^hours must be a number of hours/),
      });
    },
  );
});

describe('answers 503 so an uptime monitor alerts', () => {
  const problems = async () => {
    const answer = await status();
    expect(answer.status).toBe(503);
    expect(answer.jsonBody.success).toBe(false);
    return answer.jsonBody.problems as string[];
  };

  it('when a subscription has expired and could not be recreated', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, -1), onGraph: false });
    harness.host.consumer = 'refuses';
    await runTimer();
    expect(await problems()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Subscription ${id} .*expired \\(Graph no longer has it\\).*has not been recreated \\(last error: status 400 ValidationError: .*\\); each run tries again\\.$`,
        ),
      ),
    ]);
  });

  it('when a webhook setting is unusable, while renewals go on', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 5) });
    process.env.WEBHOOK_CLIENT_STATE = '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/clientstate/)';
    await runTimer();
    expect(harness.graph.patches(id)).toHaveLength(1);
    expect(await problems()).toEqual([
      expect.stringMatching(/^Configuration error: WEBHOOK_CLIENT_STATE: is an unresolved Key Vault reference/),
    ]);
  });

  it('when Graph reported missed notifications in the last day', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(NOW, 60),
      row: { lastMissedAt: hoursFrom(NOW, -2) },
    });
    await runTimer();
    expect(await problems()).toEqual([
      expect.stringMatching(new RegExp(`^Subscription ${id} .*missed change notifications .*resync \\(delta query\\)`)),
    ]);
  });

  it('when a subscription keeps failing', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 5) });
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: id,
      status: 403,
      times: Infinity,
      code: 'Forbidden',
      message: 'Insufficient privileges.',
    });
    await expect(runTimer()).rejects.toThrow(/no subscription could be renewed/);
    const found = await problems();
    expect(found).toContainEqual(
      expect.stringMatching(
        new RegExp(`^Subscription ${id} .*failed its last 1 renewal attempt\\(s\\): last status 403 Forbidden`),
      ),
    );
  });

  it('when the last run failed', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 5) });
    process.env.AZURE_CLIENT_ID = randomUUID(); // an identity the app does not have
    await expect(runTimer()).rejects.toThrow(/AZURE_CLIENT_ID/);
    process.env.AZURE_CLIENT_ID = harness.env.AZURE_CLIENT_ID;

    expect(await problems()).toContainEqual(
      expect.stringMatching(/^The last renewal run \(started .*\) failed: .*managed identity/),
    );
  });

  it('when the last finished run failed, even while a newer run is still going', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 5) });
    process.env.AZURE_CLIENT_ID = randomUUID();
    await expect(runTimer()).rejects.toThrow(/AZURE_CLIENT_ID/);
    process.env.AZURE_CLIENT_ID = harness.env.AZURE_CLIENT_ID;
    await harness.runsTable.createEntity({
      partitionKey: 'run',
      rowKey: '0000000000000-newer',
      trigger: 'timer',
      startedAt: NOW,
      outcome: 'running',
    });

    expect(await problems()).toContainEqual(expect.stringMatching(/^The last renewal run \(started .*\) failed/));
  });

  it('when a run never finished (stopped by a timeout or a restart)', async () => {
    await runTimer();
    const stuckAt = new Date(NOW.getTime() + HOUR);
    await harness.runsTable.createEntity({
      partitionKey: 'run',
      rowKey: '0000000000000-stuck',
      trigger: 'timer',
      startedAt: stuckAt,
      outcome: 'running',
    });
    vi.setSystemTime(new Date(stuckAt.getTime() + 2 * HOUR + 1000));

    expect(await problems()).toEqual([
      `The renewal run started at ${stuckAt.toISOString()} never finished (stopped by a timeout or a restart): see its log.`,
    ]);
  });

  it('when no run has finished for more than 26 hours', async () => {
    await runTimer();
    vi.setSystemTime(new Date(NOW.getTime() + 26 * HOUR + 1000));
    expect(await problems()).toEqual([
      expect.stringMatching(/^No renewal run has finished for more than 26 h \(last at 2026-11-28T12:00:00.000Z\)/),
    ]);
  });

  it('when no run has finished yet', async () => {
    expect(await problems()).toEqual([
      expect.stringMatching(/^No renewal run has finished yet: .*POST \/admin\/functions\/renewSubscriptions/),
    ]);
  });

  it('when the timer is disabled, and says it is not running', async () => {
    await runTimer();
    process.env['AzureWebJobs.renewSubscriptions.Disabled'] = 'true';
    try {
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.scheduler.is_running).toBe(false);
      expect(answer.jsonBody.problems).toEqual([expect.stringContaining('timer is disabled')]);
    } finally {
      delete process.env['AzureWebJobs.renewSubscriptions.Disabled'];
    }
  });

  it('when a row is malformed', async () => {
    await storeSubscription(harness, {
      id: 'broken',
      expiresAt: hoursFrom(NOW, 5),
      onGraph: false,
      row: { expirationDateTime: 'soon' },
    });
    await runTimer();
    expect(await problems()).toEqual([
      expect.stringMatching(/^Row default\/broken of the subscriptions table is malformed: expirationDateTime/),
    ]);
  });

  it('when a short-lived subscription waits for a 10-minute timer that has not run', async () => {
    await storeSubscription(harness, { resource: 'communications/presences/abc', expiresAt: hoursFrom(NOW, 0.5) });
    await runTimer();
    expect(await problems()).toEqual([
      expect.stringMatching(
        /^No renewShortLivedSubscriptions run has finished yet: it renews the short-lived subscriptions every 10 minutes/,
      ),
    ]);
  });

  it('when the 10-minute timer a short-lived subscription needs is disabled', async () => {
    process.env['AzureWebJobs.renewShortLivedSubscriptions.Disabled'] = 'true';
    await storeSubscription(harness, { resource: 'communications/presences/abc', expiresAt: hoursFrom(NOW, 0.5) });
    await runTimer();
    const body = (await status()).jsonBody;
    expect(body.problems).toEqual([
      expect.stringMatching(
        /^The renewShortLivedSubscriptions timer is disabled .* and 1 subscription\(s\) only it can keep alive/,
      ),
      expect.stringMatching(
        /presences\/abc\): Graph allows at most 60 minutes .* timer that renews such subscriptions is disabled/,
      ),
    ]);
    expect(body.subscriptions).toMatchObject({ cannot_be_kept_alive: 1, short_lived: 1 });
    expect(body.timers[1]).toMatchObject({ function: 'renewShortLivedSubscriptions', is_running: false });
  });

  it('at once when the 10-minute timer is disabled after the census counted short-lived subscriptions', async () => {
    await storeSubscription(harness, { resource: 'communications/presences/abc', expiresAt: hoursFrom(NOW, 0.5) });
    await runTimer();
    await harness.runShortTimer();
    expect((await status()).status).toBe(200);

    process.env['AzureWebJobs.renewShortLivedSubscriptions.Disabled'] = 'true';

    expect(await problems()).toEqual([expect.stringMatching(/^The renewShortLivedSubscriptions timer is disabled/)]);
  });

  it('when a setting is wrong, naming it without echoing the connection string', async () => {
    process.env.TABLES_CONNECTION_STRING = 'AccountKey=c2VjcmV0;nothing-else';
    try {
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([
        expect.stringMatching(/^Configuration error: TABLES_CONNECTION_STRING: /),
      ]);
      expect(JSON.stringify(answer.jsonBody)).not.toContain('c2VjcmV0');
      expect(harness.messages().join('\n')).not.toContain('c2VjcmV0');
    } finally {
      process.env.TABLES_CONNECTION_STRING = harness.env.TABLES_CONNECTION_STRING;
    }
  });

  it('when the connection string is one the storage SDK cannot use, naming the setting', async () => {
    process.env.TABLES_CONNECTION_STRING = 'AccountName=foo;AccountKey=c2VjcmV0';
    try {
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([
        expect.stringMatching(/^Configuration error: TABLES_CONNECTION_STRING: could not be read/),
      ]);
      expect(JSON.stringify(answer.jsonBody)).not.toContain('c2VjcmV0');
    } finally {
      process.env.TABLES_CONNECTION_STRING = harness.env.TABLES_CONNECTION_STRING;
    }
  });

  it('when the table storage cannot be reached, without leaking its key', async () => {
    process.env.TABLES_CONNECTION_STRING = harness.env.TABLES_CONNECTION_STRING!.replace(
      /127\.0\.0\.1:\d+/,
      '127.0.0.1:9',
    );
    try {
      const answer = await status();
      expect(answer.status).toBe(503);
      expect(answer.jsonBody.problems).toEqual([expect.stringMatching(/^Could not read the subscription tables: /)]);
      expect(JSON.stringify(answer.jsonBody)).not.toMatch(/Eby8vdM02/);
    } finally {
      process.env.TABLES_CONNECTION_STRING = harness.env.TABLES_CONNECTION_STRING;
    }
  });
});

it('sends no-store so a proxy never serves a stale healthy answer', async () => {
  expect((await status()).headers).toEqual({ 'Cache-Control': 'no-store' });
});
