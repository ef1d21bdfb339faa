import { beforeAll, expect, it } from 'vitest';
import { buildBundle, runInPackage } from '../support/bundle';
import { HOUR, hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// The bundle that is deployed, not the sources, renews against the emulators: in a folder of its
// own with no node_modules, driven through its exported handlers with a bare invocation context.
const harness = useHarness();
let dir: string;
beforeAll(async () => {
  dir = await buildBundle();
});

const script = `
const app = require('./dist/index.js');
const log = (level) => (...args) => console.log(JSON.stringify({ level, message: args.join(' ') }));
const context = { info: log('information'), warn: log('warning'), error: log('error'), log: log('information') };
(async () => {
  await app.renewSubscriptions({ isPastDue: false, schedule: { adjustForDST: true } }, context);
  const answer = await app.schedulerStatus({ query: new URLSearchParams('hours=48') }, context);
  console.log(JSON.stringify({ status: answer.status, body: answer.jsonBody }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

it('renews a due subscription and answers the status, from the deployable bundle', async () => {
  const now = new Date();
  const id = await storeSubscription(harness, { expiresAt: hoursFrom(now, 6) });

  const { stdout } = await runInPackage(dir, script);

  expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(now.getTime() + 70 * HOUR);
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  expect(lines).toContainEqual(
    expect.objectContaining({ message: expect.stringMatching(/^Webhook renewed successfully/) }),
  );
  expect(lines.at(-1)).toMatchObject({
    status: 200,
    body: { success: true, last_run: { outcome: 'succeeded', renewed: 1 } },
  });
});

it('answers Graph’s validation and acts on a lifecycle notification, from the deployable bundle', async () => {
  const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 50) });
  const payload = JSON.stringify({
    value: [
      { subscriptionId: id, clientState: harness.env.WEBHOOK_CLIENT_STATE, lifecycleEvent: 'reauthorizationRequired' },
    ],
  });
  const lifecycle = `
const app = require('./dist/index.js');
const context = { invocationId: 'bundle', info() {}, warn() {}, error: (...args) => console.error(...args), log() {} };
const request = (query, body) => ({
  query: new URLSearchParams(query),
  headers: new Headers({ 'content-type': 'application/json' }),
  body: body === undefined ? null : new Blob([body]).stream(),
});
(async () => {
  const validation = await app.lifecycleNotifications(request('validationToken=' + encodeURIComponent('<b>hi</b> there')), context);
  const notification = await app.lifecycleNotifications(request('', ${JSON.stringify(payload)}), context);
  console.log(JSON.stringify({ validation: { status: validation.status, body: validation.body }, notification: notification.status }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

  const { stdout } = await runInPackage(dir, lifecycle);

  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
    validation: { status: 200, body: '<b>hi</b> there' },
    notification: 202,
  });
  expect(harness.graph.patches(id)).toHaveLength(1);
});

const handOffScript = `
const app = require('./dist/index.js');
const lines = [];
const log = (level) => (...args) => lines.push({ level, message: args.join(' ') });
const context = { info: log('information'), warn: log('warning'), error: log('error'), log: log('information') };
(async () => {
  await app.renewSubscriptions({ isPastDue: false, schedule: { adjustForDST: true } }, context);
  console.log(JSON.stringify(lines));
})().catch((error) => { console.error(error); process.exit(1); });
`;

it('hands what it has no time for to the renewal queue, and renews it from the queue, from the deployable bundle', async () => {
  const now = new Date();
  const ids = await Promise.all(
    [1, 2, 3, 4, 5, 6].map((h) => storeSubscription(harness, { expiresAt: hoursFrom(now, h) })),
  );
  harness.graph.latencyMs = 500;

  await runInPackage(dir, handOffScript, {
    ...process.env,
    RENEWAL_RUN_BUDGET_MINUTES: '0.02',
    RENEWAL_CONCURRENCY: '1',
  });

  harness.graph.latencyMs = 0;
  const messages = await harness.takeQueuedRenewals();
  expect(messages.length).toBeGreaterThan(0);
  const deliver = `
const app = require('./dist/index.js');
const context = { info() {}, warn() {}, error: (...args) => console.error(args.join(' ')), log() {} };
(async () => { for (const message of ${JSON.stringify(messages)}) await app.renewQueuedSubscription(message, context); })()
  .catch((error) => { console.error(error); process.exit(1); });
`;
  await runInPackage(dir, deliver);
  for (const id of ids)
    expect(harness.graph.subscriptions.get(id)!.expirationDateTime.getTime()).toBeGreaterThan(
      now.getTime() + 70 * HOUR,
    );
});
