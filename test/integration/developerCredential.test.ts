import { expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// Outside Azure (no IDENTITY_ENDPOINT) the app uses the developer's own sign-in: environment
// variables, then `az login`, then `azd auth login`. None is set up here, so it must fail at once,
// saying which credential it tried.
const harness = useHarness({ IDENTITY_ENDPOINT: '', IDENTITY_HEADER: '', AZURE_CLIENT_ID: '' });

it('fails fast, naming the developer credential, when no developer sign-in is available', async () => {
  await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 3) });

  await expect(renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'))).rejects.toThrow(
    /Could not get a Microsoft Graph token from the developer credential \(AZURE_TENANT_ID\/AZURE_CLIENT_ID\/AZURE_CLIENT_SECRET, `az login` or `azd auth login`\): .*Sign in with `az login`/,
  );
  expect(harness.identity.asked).toHaveLength(0);
  expect(harness.graph.requests).toHaveLength(0);
});
