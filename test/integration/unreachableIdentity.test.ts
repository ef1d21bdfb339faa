import { expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// A file of its own: MSAL reads IDENTITY_ENDPOINT once per process, so the endpoint is wrong from the start.
const harness = useHarness({ IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token' });

it('fails with a clear error, not a hang, when the identity endpoint does not answer', async () => {
  await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });

  await expect(renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'))).rejects.toThrow(
    /Could not get a Microsoft Graph token from the user-assigned managed identity whose client id is AZURE_CLIENT_ID=.*Check that this identity exists/,
  );

  expect(harness.graph.requests).toHaveLength(0);
  expect((await harness.runs())[0]).toMatchObject({
    outcome: 'failed',
    error: expect.stringContaining('Could not get a Microsoft Graph token'),
  });
});
