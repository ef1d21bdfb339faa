import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import { type Azurite, startAzurite, tableEndpointFor } from '../support/azurite';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import { Harness, type StatusAnswer } from '../support/harness';

// As deployed: TABLES_ENDPOINT and no key. The tables are reached with a bearer token from the
// managed identity (resource https://storage.azure.com), checked by an Azurite that speaks HTTPS
// and Entra OAuth. The harness itself seeds and reads rows with the account key.
let azurite: Azurite;
let harness: Harness;
beforeAll(async () => {
  const tls = { certPath: inject('tlsCertPath'), keyPath: inject('tlsKeyPath') };
  azurite = await startAzurite({ tls, queues: true });
  harness = await Harness.start(
    { TABLES_CONNECTION_STRING: '', TABLES_ENDPOINT: tableEndpointFor(azurite) },
    { connectionString: azurite.connectionString, ...tls },
  );
});
afterAll(async () => {
  await harness?.stop();
  await azurite?.stop();
});

it('renews and reports through identity-based table access, with no account key', async () => {
  const now = new Date();
  const id = await storeSubscription(harness, { expiresAt: hoursFrom(now, 6) });

  await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
  const answer = harness.answered(
    await schedulerStatus(harness.statusRequest(), harness.context('schedulerStatus')),
  ) as StatusAnswer;

  expect(((await harness.row(id)).expirationDateTime as Date).getTime()).toBeGreaterThan(now.getTime() + 70 * HOUR);
  expect(answer.status).toBe(200);
  expect(harness.identity.asked.map((asked) => asked.resource)).toContain('https://storage.azure.com');
});

it("stops before Graph, with the identity endpoint's own reason, when the identity is unknown", async () => {
  harness.graph.requests.length = 0;
  process.env.AZURE_CLIENT_ID = harness.identity.tenantId; // a GUID the identity endpoint does not know
  try {
    await expect(renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'))).rejects.toThrow(
      /ManagedIdentityCredential: .*Unable to load the proper Managed Identity/,
    );
  } finally {
    process.env.AZURE_CLIENT_ID = harness.env.AZURE_CLIENT_ID;
  }
  expect(harness.graph.requests).toEqual([]);
  expect(harness.messages('error')).toContainEqual(
    expect.stringMatching(/^Renewal check could not run: ManagedIdentityCredential/),
  );
});
