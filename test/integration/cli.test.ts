import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { captureOutput } from '../support/reliability/leakWatch';
import { useHarness } from '../support/useHarness';

const USER = '8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11';
const harness = useHarness({ GRAPH_USER_ID: USER });

/** `npm run ops -- ...`, as a user runs it: a process of its own, with the same settings. */
async function ops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', 'src/cli.ts', ...args],
      {
        env: process.env,
        timeout: 60_000,
      },
    );
    captureOutput('cli', stdout + stderr);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    captureOutput('cli', failed.stdout + failed.stderr);
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the ops CLI', () => {
  it('registers, lists, renews and removes a subscription', async () => {
    const registered = await ops('register', '--change-type', 'created,updated');
    expect(registered.code).toBe(0);
    const { subscription } = JSON.parse(registered.stdout);
    expect(subscription).toMatchObject({
      resource: `users/${USER}/mailFolders('Inbox')/messages`,
      changeType: 'created,updated',
    });
    expect(harness.graph.subscriptions.get(subscription.id)?.clientState).toBe(harness.env.WEBHOOK_CLIENT_STATE);

    const listed = JSON.parse((await ops('list')).stdout);
    expect(listed.subscriptions.map((s: { id: string }) => s.id)).toEqual([subscription.id]);

    const renewed = await ops('renew', subscription.id, '--force');
    expect(renewed.code).toBe(0);
    expect(JSON.parse(renewed.stdout)).toMatchObject({ outcome: 'succeeded', renewed: 1 });
    expect(harness.graph.patches(subscription.id)).toHaveLength(1);

    expect(JSON.parse((await ops('remove', subscription.id)).stdout)).toMatchObject({
      onGraph: 'deleted',
      row: 'deleted',
    });
    expect(harness.graph.subscriptions.size).toBe(0);

    // Nothing it printed holds the client state.
    for (const output of [registered, renewed])
      expect(output.stdout + output.stderr).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
  }, 120_000);

  it('moves a subscription to another notification URL with update, and explains what update takes', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    const moved = `${harness.host.notificationUrl}?endpoint=v2`;

    const updated = await ops('update', id, '--notification-url', moved);

    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ updated: [{ id, notificationUrl: moved }], failed: [] });
    expect(harness.graph.subscriptions.get(id)!.notificationUrl).toBe(moved);
    expect(await ops('update', '--notification-url', moved)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('update takes one subscription id, or --partition P'),
    });
    expect(await ops('update', id)).toMatchObject({ code: 1, stderr: expect.stringContaining('Nothing to update') });
  }, 60_000);

  it('adopts what Graph has and the table does not', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 40) });
    harness.graph.add({
      id: 'made-elsewhere',
      resource: 'users/x/events',
      expirationDateTime: hoursFrom(new Date(), 40),
    });
    const adopted = await ops('adopt');
    expect(JSON.parse(adopted.stdout)).toMatchObject({
      adopted: [{ id: 'made-elsewhere' }],
      alreadyStored: 1,
      missingOnGraph: null,
    });
  }, 60_000);

  it('explains bad usage (exit 2) and bad settings (exit 1)', async () => {
    const usage = await ops('renwe');
    expect(usage).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('error: unknown command "renwe".\nusage: npm run ops -- <command>'),
    });

    process.env.RENEWAL_CONCURRENCY = 'many';
    expect(await ops('list')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('RENEWAL_CONCURRENCY: "many" is not valid'),
    });
    delete process.env.RENEWAL_CONCURRENCY;

    // A bad webhook setting stops what needs it (registering), not the rest.
    process.env.WEBHOOK_NOTIFICATION_URL = 'http://insecure.example/hook';
    expect(await ops('register')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Configuration error: WEBHOOK_NOTIFICATION_URL: must be an https URL'),
    });
    expect((await ops('list')).code).toBe(0);
  }, 60_000);
});

describe('the ops CLI through a pipe', () => {
  async function seed(count: number): Promise<void> {
    const far = hoursFrom(new Date(), 24 * 10);
    const partitions = new Map<string, { partitionKey: string; rowKey: string; [k: string]: unknown }[]>();
    for (let i = 0; i < count; i++) {
      const partitionKey = `p${Math.floor(i / 100)}`;
      const row = {
        partitionKey,
        rowKey: `sub-${String(i).padStart(5, '0')}`,
        resource: `users/u${i}/mailFolders('Inbox')/messages`,
        expirationDateTime: far,
        changeType: 'created',
        notificationUrl: 'https://consumer.example/notifications',
      };
      partitions.set(partitionKey, [...(partitions.get(partitionKey) ?? []), row]);
    }
    await Promise.all(
      [...partitions.values()].map((rows) =>
        harness.subscriptionsTable.submitTransaction(rows.map((row) => ['create', row])),
      ),
    );
  }

  it('writes every row before it exits, however much there is: 2,000 rows, one JSON document', async () => {
    await seed(2000);

    const listed = await ops('list');

    expect(listed.code).toBe(0);
    const body = JSON.parse(listed.stdout);
    expect(body.subscriptions).toHaveLength(2000);
    expect(new Set(body.subscriptions.map((s: { id: string }) => s.id)).size).toBe(2000);
  }, 120_000);

  it("pages with --limit and the table's own continuation token, and filters by partition", async () => {
    await seed(250);

    const first = JSON.parse((await ops('list', '--limit', '100')).stdout);
    const second = JSON.parse((await ops('list', '--limit', '100', '--continuation', first.continuation)).stdout);
    const inOne = JSON.parse((await ops('list', '--partition', 'p2')).stdout);

    expect(first.subscriptions).toHaveLength(100);
    expect(second.subscriptions[0].id).not.toBe(first.subscriptions[0].id);
    expect(second.continuation).toEqual(expect.any(String));
    expect(inOne.subscriptions).toHaveLength(50);
  }, 120_000);

  it('exits 1 and says what to give for a bad parameter', async () => {
    expect(await ops('list', '--limit', 'lots')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('limit must be a whole number from 1 to 1000, e.g. ?limit=100'),
    });
  }, 60_000);
});
