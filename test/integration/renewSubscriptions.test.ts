import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { HOUR, hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
const status = async () =>
  harness.answered(await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus'))) as StatusAnswer;

describe('the renewal timer', () => {
  it('renews a subscription that would expire before the next check plus the margin, within Graph maximum', async () => {
    const now = new Date();
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(now, 6) });

    await run();

    const onGraph = harness.graph.subscriptions.get(id)!.expirationDateTime.getTime();
    expect(onGraph).toBeGreaterThan(now.getTime() + 70 * HOUR);
    // RENEWAL_LIFETIME_HOURS (72), well within Outlook's 10,080 minutes.
    expect(onGraph).toBeLessThanOrEqual(Date.now() + 72 * HOUR);
    const row = await harness.row(id);
    expect((row.expirationDateTime as Date).getTime()).toBe(onGraph);
    expect(row.consecutiveFailures).toBe(0);
    const info = harness.messages('information');
    expect(info).toContainEqual(
      expect.stringMatching(/^Checking for expiring webhooks\.\.\. \| \{"event":"runStarted"/),
    );
    expect(info).toContainEqual(expect.stringMatching(/^Found 1 webhook\(s\) to renew \| /));
    expect(info).toContainEqual(expect.stringMatching(/^Webhook renewed successfully\. New expiration: /));
    expect(info).toContainEqual(expect.stringMatching(/^Renewal run succeeded: 1 checked, 1 due, 1 renewed, 0 failed/));
    // What a KQL query finds for this subscription (queries/renewals-of-one-subscription.kql).
    const renewal = info
      .map((m) => JSON.parse(/\| (\{.*\})$/.exec(m)![1]!))
      .find((e) => e.event === 'subscriptionRenewed');
    expect(renewal).toMatchObject({
      subscriptionId: id,
      resource: INBOX,
      outcome: 'renewed',
      oldExpiration: hoursFrom(now, 6).toISOString(),
      newExpiration: new Date(onGraph).toISOString(),
    });
  });

  it('leaves alone a subscription that outlives the next check plus the margin', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 24 * 40), resource: 'users' });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(harness.messages('information')).toContainEqual(
      expect.stringMatching(/^No webhooks need renewal \(every active one is valid beyond /),
    );
  });
});

describe('when Graph fails', () => {
  it('waits out a 429 and renews on the next attempt', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6) });
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: id,
      status: 429,
      headers: { 'Retry-After': '0' },
      times: 1,
    });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(2);
    expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(Date.now() + 70 * HOUR);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 1, failed: 0 });
  });

  it('renews the healthy subscriptions beside one that keeps failing, and keeps its last good expiration', async () => {
    const now = new Date();
    const broken = await storeSubscription(harness, { expiresAt: hoursFrom(now, 5) });
    const healthy = await Promise.all(
      [1, 2, 3].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
    );
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: broken,
      status: 503,
      times: Infinity,
      message: 'Service unavailable.',
    });

    await expect(run()).resolves.toBeUndefined();

    for (const id of healthy)
      expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(
        now.getTime() + 70 * HOUR,
      );
    const row = await harness.row(broken);
    expect(row.expirationDateTime).toEqual(hoursFrom(now, 5));
    expect(row).toMatchObject({ consecutiveFailures: 1, lastErrorStatus: 503, lastErrorCode: 'ServiceUnavailable' });
    expect(row.state).not.toBe('expired');
    expect(harness.messages('error')).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `renewal failed \\(subscription ${broken}, resource ${escape(INBOX)}, status 503, code ServiceUnavailable\\)`,
        ),
      ),
    );
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', due: 4, renewed: 3, failed: 1 });
    // Graph's request-id travels with the failure, for a support ticket.
    const failure = harness.messages('error').find((m) => m.includes('"event":"renewalFailed"'))!;
    expect(JSON.parse(/\| (\{.*\})$/.exec(failure)![1]!).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts failures across runs and clears them on the next success', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 5) });
    harness.graph.inject({ method: 'PATCH', subscriptionId: id, status: 500, times: 8 });
    // Nothing could be renewed: the run fails, and so does the invocation (Application Insights counts it).
    await expect(run()).rejects.toThrow(/no subscription could be renewed/);
    await expect(run()).rejects.toThrow(/no subscription could be renewed/);
    expect(await harness.row(id)).toMatchObject({ consecutiveFailures: 2, lastErrorStatus: 500 });

    await run();
    expect(await harness.row(id)).toMatchObject({ consecutiveFailures: 0, state: 'active' });
  });

  it('marks a subscription Graph no longer has and cannot recreate as expired, keeping its definition', async () => {
    const now = new Date();
    const gone = await storeSubscription(harness, { expiresAt: hoursFrom(now, -2), onGraph: false });
    harness.host.consumer = 'refuses';

    await run();

    expect(await harness.row(gone)).toMatchObject({
      state: 'expired',
      lastErrorStatus: 400,
      lastErrorCode: 'ValidationError',
      resource: INBOX,
      changeType: 'created',
      notificationUrl: harness.host.notificationUrl,
      expirationDateTime: hoursFrom(now, -2),
    });
    expect(harness.messages('error')).toContainEqual(
      expect.stringContaining(`no longer exists on Graph (subscription ${gone}`),
    );
    expect(harness.messages('error')).toContainEqual(
      expect.stringContaining('Graph could not validate the notification URL'),
    );

    // An expired row is not sent to Graph as a PATCH again: only recreation can help it, tried each run.
    harness.graph.requests.length = 0;
    await run();
    expect(harness.graph.patches(gone)).toHaveLength(0);
    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('does not ask Graph for more than its maximum, so Graph never refuses a renewal', async () => {
    const ids = await Promise.all(
      ['users/a/messages', 'users/a/events', 'chats/getAllMessages', 'users', 'drives/b/root'].map((resource) =>
        storeSubscription(harness, { resource, expiresAt: hoursFrom(new Date(), 2) }),
      ),
    );
    await run();
    for (const id of ids) expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 5 });
  });
});

describe('bad rows', () => {
  it('skips malformed rows with an error that names them, and renews the rest', async () => {
    const now = new Date();
    const good = await storeSubscription(harness, { expiresAt: hoursFrom(now, 3) });
    await storeSubscription(harness, {
      id: 'no-resource',
      expiresAt: hoursFrom(now, 3),
      onGraph: false,
      row: { resource: undefined },
    });
    await storeSubscription(harness, {
      id: 'bad-date',
      expiresAt: hoursFrom(now, 3),
      onGraph: false,
      row: { expirationDateTime: 'next tuesday' },
    });
    await harness.subscriptionsTable.createEntity({
      partitionKey: 'default',
      rowKey: '',
      resource: INBOX,
      expirationDateTime: now,
    });

    await run();

    expect(harness.graph.patches(good)).toHaveLength(1);
    const errors = harness.messages('error');
    expect(errors).toContainEqual(
      expect.stringContaining('Skipping malformed subscription row default/no-resource: resource is missing'),
    );
    expect(errors).toContainEqual(
      expect.stringContaining('Skipping malformed subscription row default/: RowKey is empty'),
    );
    // A date that is not one is not selected by the run's filter: the census names it.
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', invalid: 2, renewed: 1 });
    await harness.runCensus();
    const { attention } = (await status()).jsonBody;
    expect(attention).toContainEqual(
      expect.objectContaining({
        kind: 'invalid',
        id: 'bad-date',
        last_error: expect.stringContaining('expirationDateTime is not a date'),
      }),
    );
  });
});

describe('runs', () => {
  it('two runs at once renew each subscription once, and neither loses the other’s update', async () => {
    const now = new Date();
    const ids = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
    );
    harness.graph.latencyMs = 20;

    await Promise.all([run(), run()]);

    for (const id of ids) {
      const onGraph = harness.graph.subscriptions.get(id)!.expirationDateTime;
      const row = await harness.row(id);
      // The table holds the latest expiration Graph accepted, never an earlier one.
      expect(row.expirationDateTime).toEqual(onGraph);
      expect(row).toMatchObject({ consecutiveFailures: 0, state: 'active' });
    }
    // Each row is leased by the run that gets to it first; the other leaves it alone.
    for (const id of ids) expect(harness.graph.patches(id)).toHaveLength(1);
    const runs = await harness.runs();
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.outcome === 'succeeded' && (r.renewed as number) + (r.skipped as number) === 6)).toBe(
      true,
    );
    expect(runs.reduce((sum, r) => sum + (r.renewed as number), 0)).toBe(6);
  });

  it('renews every due subscription exactly once, however many share a partition and lanes', async () => {
    const now = new Date();
    const ids: string[] = [];
    for (let partition = 0; partition < 2; partition++) {
      const rows = Array.from({ length: 100 + partition * 30 }, (_, i) => `p${partition}-${i}`);
      // A table transaction takes at most 100 rows.
      for (let from = 0; from < rows.length; from += 100) {
        await harness.subscriptionsTable.submitTransaction(
          rows.slice(from, from + 100).map((id, i) => [
            'create',
            {
              partitionKey: `p${partition}`,
              rowKey: id,
              resource: `users/u${(from + i) % 40}/messages`,
              changeType: 'created',
              notificationUrl: harness.env.WEBHOOK_NOTIFICATION_URL,
              expirationDateTime: hoursFrom(now, 5),
            },
          ]),
        );
      }
      for (const id of rows) harness.graph.add({ id, resource: INBOX, expirationDateTime: hoursFrom(now, 5) });
      ids.push(...rows);
    }
    process.env.RENEWAL_CONCURRENCY = '16';
    harness.graph.latencyMs = 3;

    await run();

    for (const id of ids) expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({
      due: 230,
      renewed: 230,
      skipped: 0,
      failed: 0,
      outcome: 'succeeded',
    });
  });

  it('records every run, newest first', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    await run();
    await run();
    const runs = await harness.runs();
    expect(runs).toHaveLength(2);
    expect((runs[0]!.startedAt as Date).getTime()).toBeGreaterThanOrEqual((runs[1]!.startedAt as Date).getTime());
    // The second run reads only what is due: nothing, since the first renewed it.
    expect(runs[1]).toMatchObject({ trigger: 'timer', isPastDue: false, checked: 1, due: 1, renewed: 1 });
    expect(runs[0]).toMatchObject({ trigger: 'timer', isPastDue: false, checked: 0, due: 0 });
    expect(runs[0]!.finishedAt).toBeInstanceOf(Date);
  });

  it('says so when it runs late because a check was missed', async () => {
    await renewSubscriptions(harness.timer(true), harness.context('renewSubscriptions'));
    expect(harness.messages('warning')).toContainEqual(expect.stringContaining('past due'));
    expect((await harness.runs())[0]).toMatchObject({ isPastDue: true });
  });

  it('leaves a presence subscription to the 10-minute timer: a daily check cannot keep 60 minutes alive', async () => {
    const id = await storeSubscription(harness, {
      resource: 'communications/presences/abc',
      expiresAt: hoursFrom(new Date(), 0.5),
    });
    await run();
    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(harness.messages('information')).toContainEqual(expect.stringMatching(/^No webhooks need renewal/));
  });

  it('renews a presence subscription itself, and warns, while the 10-minute timer is disabled', async () => {
    process.env['AzureWebJobs.renewShortLivedSubscriptions.Disabled'] = 'true';
    const id = await storeSubscription(harness, {
      resource: 'communications/presences/abc',
      expiresAt: hoursFrom(new Date(), 0.5),
    });
    await run();
    expect(harness.graph.patches(id)).toHaveLength(1);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `will expire before the next run \\(subscription ${id}.*60 minutes.*renewShortLivedSubscriptions timer .* is disabled`,
        ),
      ),
    );
  });

  it('warns about a resource whose maximum it does not know', async () => {
    await storeSubscription(harness, { resource: 'someNewWorkload/items', expiresAt: hoursFrom(new Date(), 3) });
    await run();
    expect(harness.messages('warning')).toContainEqual(expect.stringContaining('Unknown resource type'));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('staying inside Graph limits and the run budget', () => {
  it("holds every request while Graph's Retry-After runs, not only the throttled one", async () => {
    const now = new Date();
    const ids = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
    );
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: ids[0],
      status: 429,
      headers: { 'Retry-After': '1' },
      times: 1,
    });

    await run();

    const patches = harness.graph.requests.filter((r) => r.method === 'PATCH');
    const throttledAt = patches.find((r) => r.path.endsWith(ids[0]!))!.at.getTime();
    // Requests already on the wire may land just after the 429; none is sent until Retry-After has passed.
    const duringTheWait = patches.filter(
      (r) => r.at.getTime() > throttledAt + 300 && r.at.getTime() < throttledAt + 1000,
    );
    expect(duringTheWait).toEqual([]);
    const retry = patches.filter((r) => r.path.endsWith(ids[0]!))[1]!;
    expect(retry.at.getTime() - throttledAt).toBeGreaterThanOrEqual(1000);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 8 });
  });

  it('ends a request that hangs after GRAPH_TIMEOUT_SECONDS and retries it', async () => {
    process.env.GRAPH_TIMEOUT_SECONDS = '1';
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    harness.graph.inject({ method: 'PATCH', subscriptionId: id, delayMs: 3000, times: 1 });

    await run();

    expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded', renewed: 1 });
  });

  it('gets a new token once when Graph refuses the one it has', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: id,
      status: 401,
      code: 'InvalidAuthenticationToken',
      times: 1,
    });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(2);
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'succeeded' });
  });

  it('without a renewal queue, stops starting renewals when the budget is used up, and the next run finishes the rest', async () => {
    Object.assign(process.env, { RENEWAL_RUN_BUDGET_MINUTES: '0.03', RENEWAL_CONCURRENCY: '1' }); // 1.8 s
    delete process.env.AzureWebJobsStorage;
    harness.graph.latencyMs = 500;
    const now = new Date();
    const ids = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
    );

    await run();

    const [first] = await harness.runs();
    expect(first).toMatchObject({ outcome: 'partial', queued: 0 });
    expect(first!.renewed as number).toBeGreaterThan(0);
    expect(first!.deferred as number).toBeGreaterThan(0);
    expect((first!.renewed as number) + (first!.deferred as number)).toBe(8);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringMatching(/^Run time budget used up: \d due webhook\(s\) left for the next run/),
    );

    delete process.env.RENEWAL_RUN_BUDGET_MINUTES;
    harness.graph.latencyMs = 0;
    await run();
    for (const id of ids)
      expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(
        now.getTime() + 70 * HOUR,
      );
  });

  it('reads the due rows of a table, and none of the others', async () => {
    const now = new Date();
    const far = hoursFrom(now, 24 * 20);
    const rows = Array.from({ length: 400 }, (_, i) => {
      const due = i % 5 === 0;
      const id = `sub-${i}`;
      if (due) harness.graph.add({ id, resource: INBOX, expirationDateTime: hoursFrom(now, 6) });
      return {
        partitionKey: 'bulk',
        rowKey: id,
        resource: due ? INBOX : 'users',
        expirationDateTime: due ? hoursFrom(now, 6) : far,
      };
    });
    for (let i = 0; i < rows.length; i += 100) {
      await harness.subscriptionsTable.submitTransaction(rows.slice(i, i + 100).map((row) => ['create', row]));
    }
    await run();
    // 80 due among 400 (paging itself: subscriptionTable.test.ts): only they are read.
    expect((await harness.runs())[0]).toMatchObject({ checked: 80, due: 80, renewed: 80, outcome: 'succeeded' });
  });

  it('is partial, not failed, when every due subscription turned out to be gone for good', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -1), onGraph: false });
    harness.host.consumer = 'refuses';
    await run();
    expect((await harness.runs())[0]).toMatchObject({ outcome: 'partial', expired: 1, renewed: 0 });
  });

  it('warns when the host schedules the next run elsewhere than WEBSITE_TIME_ZONE says', async () => {
    const timer = {
      ...harness.timer(),
      scheduleStatus: { last: '', lastUpdated: '', next: '2099-01-01T09:00:00+00:00' },
    };
    await renewSubscriptions(timer, harness.context('renewSubscriptions'));
    expect(harness.messages('warning')).toContainEqual(
      expect.stringContaining('this plan may ignore WEBSITE_TIME_ZONE'),
    );
  });
});
