import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { HOUR, hoursFrom, INBOX, MINUTE, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
const NOW = new Date('2026-12-01T10:03:00Z');
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const PRESENCE = 'communications/presences/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11';
const status = async () =>
  harness.answered(await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus'))) as StatusAnswer;
const expirationOnGraph = (id: string) => harness.graph.subscriptions.get(id)!.expirationDateTime.getTime();
const minutes = (ms: number) => Math.round(ms / MINUTE);

describe('the 10-minute timer for short-lived subscriptions', () => {
  it('renews a presence subscription for 50 of its 60 minutes, marks its row, and records its run apart', async () => {
    const id = await storeSubscription(harness, {
      resource: PRESENCE,
      expiresAt: new Date(NOW.getTime() + 25 * MINUTE),
    });

    expect(await harness.runShortTimer()).toBeUndefined();

    expect(minutes(expirationOnGraph(id) - NOW.getTime())).toBe(50);
    expect(await harness.row(id)).toMatchObject({ shortLived: true, consecutiveFailures: 0 });
    expect(await harness.runs('shortrun')).toEqual([
      expect.objectContaining({ outcome: 'succeeded', renewed: 1, trigger: 'timer' }),
    ]);
    expect(await harness.runs()).toEqual([]);
  });

  it('finds it again by its mark, however far off its expiration, and renews it once it would expire within the next run plus 30 minutes', async () => {
    const id = await storeSubscription(harness, {
      resource: PRESENCE,
      expiresAt: new Date(NOW.getTime() + 25 * MINUTE),
    });
    await harness.runShortTimer();
    const patches = () => harness.graph.patches(id).length;

    vi.setSystemTime(new Date(NOW.getTime() + 10 * MINUTE)); // 40 minutes left: not due before 10:20 + 30 min
    await harness.runShortTimer();
    expect(patches()).toBe(1);

    vi.setSystemTime(new Date(NOW.getTime() + 20 * MINUTE)); // 30 minutes left: due
    await harness.runShortTimer();
    expect(patches()).toBe(2);
    expect((await harness.runs('shortrun')).map((run) => run.checked)).toEqual([1, 1, 1]);
  });

  it("leaves the daily run's subscriptions to it when it comes in time", async () => {
    vi.setSystemTime(new Date('2026-12-01T07:56:00Z')); // 08:56 in Paris: the daily check is in 4 minutes
    const id = await storeSubscription(harness, { expiresAt: new Date('2026-12-01T08:25:00Z') });
    await storeSubscription(harness, { resource: 'users/someone-else/messages', expiresAt: hoursFrom(NOW, 50) });

    await harness.runShortTimer();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect((await harness.runs('shortrun'))[0]).toMatchObject({ outcome: 'succeeded', checked: 0, due: 0 });
  });

  it("renews one of the daily run's that would expire before the daily run comes (a rule changed, an adoption), for its daily lifetime", async () => {
    // Renewed and marked by the 10-minute timer while a Teams chat without a lifecycle URL was capped at an hour;
    // now it has one on its row, so it is the daily run's again, and that run is 23 hours away.
    const id = await storeSubscription(harness, {
      resource: 'chats/19:abc/messages',
      expiresAt: new Date(NOW.getTime() + 35 * MINUTE),
      row: { shortLived: true },
    });

    await harness.runShortTimer();

    expect(minutes(expirationOnGraph(id) - Date.now())).toBe(4320 - 10);
    expect(await harness.row(id)).toMatchObject({ shortLived: false });
  });

  it('is left alone by the daily run, and shows in the status as its own timer', async () => {
    const id = await storeSubscription(harness, {
      resource: PRESENCE,
      expiresAt: new Date(NOW.getTime() + 25 * MINUTE),
    });
    await harness.runTimer();
    expect(harness.graph.patches(id)).toHaveLength(0);
    await harness.runShortTimer();

    const answer = await status();

    expect(answer.status).toBe(200);
    expect(answer.jsonBody.subscriptions).toMatchObject({
      short_lived: 1,
      cannot_be_kept_alive: 0,
      due_before_next_run: 0,
    });
    expect(answer.jsonBody.timers).toEqual([
      expect.objectContaining({
        function: 'renewSubscriptions',
        schedule: '0 0 9 * * *',
        next_run_time: '2026-12-02T09:00:00+01:00',
        is_running: true,
      }),
      expect.objectContaining({
        function: 'renewShortLivedSubscriptions',
        schedule: '0 */10 * * * *',
        next_run_time: '2026-12-01T11:10:00+01:00',
        timezone: 'Europe/Paris (UTC+1)',
        is_running: true,
        last_run: expect.objectContaining({ outcome: 'succeeded', renewed: 1 }),
      }),
      expect.objectContaining({ function: 'subscriptionCensus' }),
    ]);
  });

  it('keeps Outlook with resource data (1,440 minutes) alive, where a daily check would let it lapse every day', async () => {
    const id = await storeSubscription(harness, {
      resource: INBOX,
      expiresAt: new Date(NOW.getTime() + 1430 * MINUTE),
      row: {
        includeResourceData: true,
        encryptionCertificate: 'MIIBcert',
        encryptionCertificateId: 'key-1',
        shortLived: true,
      },
    });
    harness.graph.subscriptions.get(id)!.includeResourceData = true;

    vi.setSystemTime(new Date(NOW.getTime() + 1400 * MINUTE)); // 30 minutes left
    await harness.runShortTimer();

    expect(minutes(expirationOnGraph(id) - Date.now())).toBe(1430);
  });
});

describe('a maximum Graph states when it refuses one', () => {
  it('is learnt for the kind: asked within at once, kept in the run history, the next day one PATCH each, and shown in the status', async () => {
    // Microsoft lowers Outlook back to 4,230 minutes.
    harness.graph.maximumOverride = (resource) => (/messages/i.test(resource) ? 4230 : undefined);
    const first = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });

    await harness.runTimer();

    expect(harness.graph.patches(first)).toHaveLength(2);
    expect(minutes(expirationOnGraph(first) - Date.now())).toBe(4220);
    expect(harness.messages('warning')).toContainEqual(
      expect.stringMatching(/^Graph's maximum for outlook subscriptions is 4230 minutes, not the 10080 the rules say/),
    );
    expect(await harness.runs('learntmaximum')).toEqual([
      expect.objectContaining({ key: 'outlook', maxMinutes: 4230, configuredMinutes: 10080, subscriptionId: first }),
    ]);

    vi.setSystemTime(new Date(NOW.getTime() + 24 * HOUR));
    const second = await storeSubscription(harness, {
      resource: 'users/another/messages',
      expiresAt: hoursFrom(new Date(), 6),
    });
    await harness.runTimer();
    expect(harness.graph.patches(first)).toHaveLength(3);
    expect(harness.graph.patches(second)).toHaveLength(1);

    const { graph_rules } = (await status()).jsonBody;
    expect(graph_rules.learnt).toEqual([
      expect.objectContaining({ kind: 'outlook', max_minutes: 4230, configured_minutes: 10080 }),
    ]);
  });

  it('is set aside once GRAPH_MAX_LIFETIMES changes the rule for its kind', async () => {
    harness.graph.maximumOverride = (resource) => (/messages/i.test(resource) ? 4230 : undefined);
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });
    await harness.runTimer();

    process.env.GRAPH_MAX_LIFETIMES = 'outlook=4230';
    vi.setSystemTime(new Date(NOW.getTime() + 24 * HOUR));
    await harness.runTimer();

    expect(harness.graph.patches(id)).toHaveLength(3);
    const { graph_rules } = (await status()).jsonBody;
    expect(graph_rules).toMatchObject({
      overrides: [{ kind: 'outlook', max_minutes: 4230 }],
      learnt: [],
      learnt_set_aside: [expect.objectContaining({ kind: 'outlook' })],
    });
  });
});

describe('GRAPH_MAX_LIFETIMES', () => {
  it('changes what a renewal asks for', async () => {
    process.env.GRAPH_MAX_LIFETIMES = 'group-conversation=3900';
    const id = await storeSubscription(harness, {
      resource: "groups('1f2a')/conversations",
      expiresAt: hoursFrom(NOW, 6),
    });

    await harness.runTimer();

    expect(minutes(expirationOnGraph(id) - Date.now())).toBe(3890);
    expect(await harness.row(id)).toMatchObject({ shortLived: false });
  });

  it('hands a kind it makes short-lived to the 10-minute timer', async () => {
    process.env.GRAPH_MAX_LIFETIMES = 'outlook=1440';
    const id = await storeSubscription(harness, { expiresAt: new Date(NOW.getTime() + 20 * MINUTE) });

    await harness.runTimer();
    expect(harness.graph.patches(id)).toHaveLength(0);
    await harness.runShortTimer();

    expect(minutes(expirationOnGraph(id) - Date.now())).toBe(1430);
    expect(await harness.row(id)).toMatchObject({ shortLived: true });
  });
});
