import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// The real ManagedIdentityCredential, talking App Service's identity protocol to a loopback endpoint.
const harness = useHarness();
beforeEach(() => {
  harness.identity.asked.length = 0;
});

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

describe('the managed identity', () => {
  it("asks App Service's identity endpoint for a Graph token for the user-assigned identity", async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    await run();

    expect(harness.identity.asked[0]).toEqual({
      resource: harness.graph.baseUrl,
      clientId: harness.identity.clientId,
      headerMatched: true,
    });
    expect(harness.graph.requests.every((request) => request.authorized)).toBe(true);
  });

  it('reuses one token for every renewal of a run, and across runs', async () => {
    await Promise.all([1, 2, 3].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(new Date(), h) })));
    await run();
    await Promise.all([4, 5].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(new Date(), h) })));
    await run();

    const patches = harness.graph.patches();
    expect(patches).toHaveLength(5);
    expect(new Set(patches.map((patch) => patch.token)).size).toBe(1);
    // At most one token request (none when an earlier test's token is still cached).
    expect(harness.identity.asked.length).toBeLessThanOrEqual(1);
  });
});

describe('a misconfigured identity', () => {
  const withSetting = async (name: string, value: string, body: () => Promise<void>) => {
    process.env[name] = value;
    try {
      await body();
    } finally {
      process.env[name] = harness.env[name];
    }
  };

  it('fails the run at once with an error naming AZURE_CLIENT_ID, and sends nothing to Graph', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(new Date(), h) })),
    );
    const wrong = randomUUID();

    await withSetting('AZURE_CLIENT_ID', wrong, async () => {
      await expect(run()).rejects.toThrow(
        new RegExp(
          `Could not get a Microsoft Graph token from the user-assigned managed identity whose client id is AZURE_CLIENT_ID=${wrong}: .*Unable to load the proper Managed Identity`,
        ),
      );
    });

    expect(harness.graph.requests).toHaveLength(0);
    // One token request, not one per subscription: the run stops at the first credential failure.
    expect(harness.identity.asked).toHaveLength(1);
    const [latest] = await harness.runs();
    expect(latest).toMatchObject({ outcome: 'failed', renewed: 0, error: expect.stringContaining('AZURE_CLIENT_ID') });
    for (const id of ids) expect((await harness.row(id)).consecutiveFailures).toBeUndefined();
  });

  it('never writes the identity header or a token into the logs', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });
    await run();
    await withSetting('AZURE_CLIENT_ID', randomUUID(), () => run().catch(() => undefined));

    const logs = harness.messages().join('\n');
    expect(logs).not.toContain(harness.identity.header);
    for (const token of harness.identity.tokens.keys()) expect(logs).not.toContain(token);
  });
});
