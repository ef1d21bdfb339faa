import { describe, expect } from 'vitest';
import { HOUR, hoursFrom, MINUTE, storeSubscription } from '../support/fixtures';
import { scenario } from '../support/reliability/invariants';
import { seededRandom } from '../support/reliability/seededRandom';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
const run = () => harness.runTimer();

/** Due subscriptions (6 h left), stored and on Graph. */
async function due(count: number, resource?: string): Promise<string[]> {
  const now = new Date();
  return Promise.all(
    Array.from({ length: count }, () => storeSubscription(harness, { expiresAt: hoursFrom(now, 6), resource })),
  );
}

/** A resource whose maximum (4,230 minutes) is below the wanted 72 hours: a renewal asks for all of it. */
const CONVERSATIONS = 'groups/1f2a6b3c-0000-4000-8000-000000000001/conversations';

/** Renewed on Graph to about now + 70 h, and the row says the same. */
async function expectRenewed(id: string): Promise<void> {
  const onGraph = harness.graph.subscriptions.get(id)!.expirationDateTime.getTime();
  expect(onGraph).toBeGreaterThan(Date.now() + 70 * HOUR);
  expect(((await harness.row(id)).expirationDateTime as Date).getTime()).toBe(onGraph);
}

/** Left as it was, with the failure on the row and the error in the log. */
async function expectFailedAndKept(id: string, expiresAt: number): Promise<Record<string, unknown>> {
  const row = await harness.row(id);
  expect((row.expirationDateTime as Date).getTime()).toBe(expiresAt);
  expect(row.consecutiveFailures).toBe(1);
  return row;
}

const lastRun = async () =>
  (await harness.runs()).sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt))).at(-1)!;

describe('throttling (429)', () => {
  scenario(
    'graph',
    'a storm of 429s with Retry-After in seconds: every subscription renewed, none sooner than Graph asked',
    harness,
    async ({ arranged }) => {
      const ids = await due(10);
      await arranged();
      harness.graph.inject({ method: 'PATCH', status: 429, headers: { 'Retry-After': '1' }, times: 15 });

      await run();

      expect(await lastRun()).toMatchObject({ outcome: 'succeeded', renewed: 10, failed: 0 });
      for (const id of ids) await expectRenewed(id);
      // After a 429 the whole run waited: the first PATCH Graph accepted came Graph's second after the first 429.
      const patches = harness.graph.requests.filter((r) => r.method === 'PATCH').map((r) => r.at.getTime());
      expect(patches).toHaveLength(25);
      expect(Math.min(...patches.slice(15)) - patches[0]!).toBeGreaterThanOrEqual(950);
    },
  );

  scenario(
    'graph',
    'a 429 whose Retry-After is an HTTP date: the retry waits until that date',
    harness,
    async ({ arranged }) => {
      const [id] = await due(1);
      await arranged();
      const until = new Date(Math.ceil((Date.now() + 1500) / 1000) * 1000);
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 429,
        headers: { 'Retry-After': until.toUTCString() },
        times: 1,
      });

      await run();

      await expectRenewed(id!);
      expect(harness.graph.patches(id)[1]!.at.getTime()).toBeGreaterThanOrEqual(until.getTime() - 5);
    },
  );

  scenario(
    'graph',
    'a 429 asking for a wait longer than the run should stall: reported at once, renewed by the next run',
    harness,
    async ({ arranged }) => {
      const [id, other] = await due(2);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 429,
        headers: { 'Retry-After': '3600' },
        times: 1,
      });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row.lastErrorStatus).toBe(429);
      await expectRenewed(other!);
      expect(harness.messages('error')).toContainEqual(
        expect.stringMatching(
          new RegExp(`^Webhook renewal failed \\(subscription ${id}.*status 429, code TooManyRequests`),
        ),
      );

      await run();
      await expectRenewed(id!);
    },
  );
});

describe('server errors and lost connections', () => {
  for (const status of [500, 502, 503, 504]) {
    scenario('graph', `a ${status} on the first attempt: renewed on the next`, harness, async ({ arranged }) => {
      const [id] = await due(1);
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, status, times: 1 });

      await run();

      await expectRenewed(id!);
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    });
  }

  scenario(
    'graph',
    'a 503 on every attempt: the row keeps its expiration and says why, the others are renewed, the next run renews it',
    harness,
    async ({ arranged }) => {
      const [id, other] = await due(2);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, status: 503, times: 4 });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row).toMatchObject({ lastErrorStatus: 503, lastErrorCode: 'ServiceUnavailable' });
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(id!))).toHaveLength(4);
      await expectRenewed(other!);
      expect(await lastRun()).toMatchObject({ outcome: 'partial', renewed: 1, failed: 1 });

      await run();
      await expectRenewed(id!);
      expect((await harness.row(id!)).consecutiveFailures).toBe(0);
    },
  );

  scenario('graph', 'a connection reset on the first attempt: renewed on the next', harness, async ({ arranged }) => {
    const [id] = await due(1);
    await arranged();
    harness.graph.inject({ method: 'PATCH', subscriptionId: id, reset: true, times: 1 });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(2);
    await expectRenewed(id!);
  });

  scenario(
    'graph',
    'connections reset on every attempt: reported as no answer from Graph, the others renewed',
    harness,
    async ({ arranged }) => {
      const [id, other] = await due(2);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, reset: true, times: Infinity });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row).toMatchObject({ lastErrorStatus: 0, lastErrorCode: 'NetworkError' });
      expect(String(row.lastErrorMessage)).toMatch(/^No answer from Graph/);
      await expectRenewed(other!);
    },
  );

  scenario(
    'graph',
    'a request that hangs: the per-request timeout ends it and the retry renews',
    harness,
    async ({ arranged }) => {
      process.env.GRAPH_TIMEOUT_SECONDS = '1';
      const [id] = await due(1);
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, delayMs: 1_500, times: 1 });

      await run();

      await expectRenewed(id!);
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    },
  );

  scenario(
    'graph',
    'requests that hang every time: each ends at the timeout and the row says Graph did not answer',
    harness,
    async ({ arranged }) => {
      Object.assign(process.env, { GRAPH_TIMEOUT_SECONDS: '1', GRAPH_MAX_ATTEMPTS: '2' });
      const [id, other] = await due(2);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, delayMs: 1_500, times: Infinity });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row).toMatchObject({
        lastErrorStatus: 0,
        lastErrorCode: 'Timeout',
        lastErrorMessage: 'Graph did not answer in time.',
      });
      await expectRenewed(other!);
    },
  );

  scenario(
    'graph',
    'a hang where Graph did the work but the answer was lost: the retry renews again, harmlessly',
    harness,
    async ({ arranged }) => {
      process.env.GRAPH_TIMEOUT_SECONDS = '1';
      const [id] = await due(1);
      await arranged();
      harness.graph.inject({ method: 'PATCH', subscriptionId: id, delayMs: 1_500, completeAnyway: true, times: 1 });

      await run();

      await expectRenewed(id!);
    },
  );
});

describe('refusals', () => {
  const graphTokens = () =>
    harness.identity.asked.filter((asked) => asked.resource?.startsWith(harness.graph.baseUrl)).length;

  scenario(
    'graph',
    'a 401 once: asked once more (the managed identity hands back its cached token) and renewed',
    harness,
    async ({ arranged }) => {
      const [id] = await due(1);
      await arranged();
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 401,
        code: 'InvalidAuthenticationToken',
        times: 1,
      });

      await run();

      await expectRenewed(id!);
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
      // MSAL's managed-identity cache answers the second request for a token: the endpoint is asked once.
      expect(graphTokens()).toBe(1);
    },
  );

  scenario(
    'graph',
    'a 401 every time: one new token, then a clear error naming the settings to check',
    harness,
    async ({ arranged }) => {
      const [id, other] = await due(2);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 401,
        code: 'InvalidAuthenticationToken',
        message: 'Access token validation failure.',
        times: Infinity,
      });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row.lastErrorMessage).toMatch(
        /^Access token validation failure\. The identity handed back the same token \(managed-identity tokens are cached for up to 24 hours\)\. Graph refused the app's token twice: .*AZURE_CLIENT_ID.*GRAPH_BASE_URL/,
      );
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(id!))).toHaveLength(2);
      await expectRenewed(other!);
    },
  );

  scenario('graph', 'a 403: no retry, and an error naming the missing permission', harness, async ({ arranged }) => {
    const [id] = await due(1);
    const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
    await arranged();
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: id,
      status: 403,
      code: 'ExtensionError',
      message: 'Operation: Update; Exception: [Status Code: Forbidden; Reason: Access is denied.]',
      times: Infinity,
    });

    await run();

    const row = await expectFailedAndKept(id!, expiresAt);
    expect(row.lastErrorMessage).toMatch(
      /Access is denied.*lacks the Graph application permission Mail\.ReadBasic or Mail\.Read, with admin consent/,
    );
    expect(harness.messages('error')).toContainEqual(expect.stringContaining('permission Mail.ReadBasic or Mail.Read'));
    expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  scenario(
    'graph',
    "a 400 over the resource's maximum (Graph's clock 20 minutes behind ours): asked again within Graph's stated maximum, renewed",
    harness,
    async ({ arranged }) => {
      const [id] = await due(1, CONVERSATIONS);
      await arranged();
      harness.graph.clock = () => new Date(Date.now() - 20 * MINUTE);

      await run();

      const [refused, accepted] = harness.graph.requests.filter((r) => r.method === 'PATCH');
      expect(harness.graph.patches(id)).toHaveLength(2);
      expect(refused!.body).not.toEqual(accepted!.body);
      const renewedTo = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      expect(renewedTo).toBeLessThanOrEqual(harness.graph.clock().getTime() + 4230 * MINUTE);
      expect(renewedTo).toBeGreaterThan(harness.graph.clock().getTime() + 4230 * MINUTE - 11 * MINUTE);
      expect(((await harness.row(id!)).expirationDateTime as Date).getTime()).toBe(renewedTo);
      expect(harness.messages('warning')).toContainEqual(
        expect.stringMatching(/^Graph refused .* as beyond its maximum of 4230 minutes/),
      );
    },
  );

  scenario(
    'graph',
    "a 400 for another reason: not retried, reported with Graph's message",
    harness,
    async ({ arranged }) => {
      const [id] = await due(1);
      const expiresAt = harness.graph.subscriptions.get(id!)!.expirationDateTime.getTime();
      await arranged();
      harness.graph.inject({
        method: 'PATCH',
        subscriptionId: id,
        status: 400,
        code: 'InvalidRequest',
        message: 'Subscription is in an invalid state.',
        times: Infinity,
      });

      await run();

      const row = await expectFailedAndKept(id!, expiresAt);
      expect(row).toMatchObject({
        lastErrorStatus: 400,
        lastErrorCode: 'InvalidRequest',
        lastErrorMessage: 'Subscription is in an invalid state.',
      });
      expect(harness.graph.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    },
  );

  scenario(
    'graph',
    'a 404: recreated from the stored definition, once, with no duplicate',
    harness,
    async ({ arranged }) => {
      const [id] = await due(1);
      await arranged();
      harness.graph.subscriptions.delete(id!);

      await run();

      expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
      const [successor] = [...harness.graph.subscriptions.values()];
      expect((await harness.row(successor!.id)).replaces).toBe(id);
    },
  );
});

describe('everything at once', () => {
  scenario(
    'graph',
    'a seeded mix of 429, 5xx, resets and hangs over 40 subscriptions: all renewed within the retries',
    harness,
    async ({ arranged }) => {
      Object.assign(process.env, { GRAPH_TIMEOUT_SECONDS: '1', GRAPH_MAX_ATTEMPTS: '4' });
      const ids = await due(40);
      await arranged();
      const random = seededRandom(20261128);
      const faults = [
        { status: 429, headers: { 'Retry-After': '0' } },
        { status: 500 },
        { status: 502 },
        { status: 503 },
        { status: 504 },
        { reset: true },
        { delayMs: 1_200 },
      ];
      for (const id of ids) {
        // Up to three faults each: the fourth attempt always gets through.
        const count = Math.floor(random() * 4);
        for (let i = 0; i < count; i++)
          harness.graph.inject({
            method: 'PATCH',
            subscriptionId: id,
            times: 1,
            ...faults[Math.floor(random() * faults.length)]!,
          });
      }

      await run();

      for (const id of ids) await expectRenewed(id);
      expect(await lastRun()).toMatchObject({ outcome: 'succeeded', renewed: 40, failed: 0 });
    },
    60_000,
  );
});

describe('recreation under faults', () => {
  const posts = () => harness.graph.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/subscriptions');

  for (const status of [500, 502, 504]) {
    scenario(
      'graph',
      `a ${status} after Graph created the successor: not POSTed again, the next run adopts it, no duplicate`,
      harness,
      async ({ arranged }) => {
        const [id] = await due(1);
        harness.graph.subscriptions.delete(id!);
        await arranged();
        harness.graph.inject({ method: 'POST', status: undefined, failAfterWork: status, times: 1 });

        await run();
        expect(posts()).toHaveLength(1);
        expect(await harness.row(id!)).toMatchObject({ state: 'expired' });

        await run();

        expect(posts()).toHaveLength(1);
        const [successor] = [...harness.graph.subscriptions.values()];
        expect((await harness.row(successor!.id)).replaces).toBe(id);
        expect(harness.messages('warning')).toContainEqual(expect.stringContaining('adopted'));
      },
    );
  }

  scenario(
    'graph',
    "the creation refused as beyond Graph's maximum (its clock 20 minutes behind): asked again within it, one successor",
    harness,
    async ({ arranged }) => {
      const [id] = await due(1, CONVERSATIONS);
      harness.graph.subscriptions.delete(id!);
      await arranged();
      harness.graph.clock = () => new Date(Date.now() - 20 * MINUTE);

      await run();

      expect(posts()).toHaveLength(2);
      expect(harness.graph.subscriptions.size).toBe(1);
      const [successor] = [...harness.graph.subscriptions.values()];
      expect(successor!.expirationDateTime.getTime()).toBeLessThanOrEqual(
        harness.graph.clock().getTime() + 4230 * MINUTE,
      );
      expect((await harness.row(successor!.id)).replaces).toBe(id);
      expect(harness.messages('warning')).toContainEqual(
        expect.stringMatching(/^Graph refused .* as beyond its maximum of 4230 minutes/),
      );
    },
  );

  scenario(
    'graph',
    'a storm of 429s on the creation: retried (Graph created nothing), recreated once',
    harness,
    async ({ arranged }) => {
      const [id] = await due(1);
      harness.graph.subscriptions.delete(id!);
      await arranged();
      harness.graph.inject({ method: 'POST', status: 429, headers: { 'Retry-After': '0' }, times: 6 });

      await run();

      expect(posts()).toHaveLength(7);
      expect(harness.graph.subscriptions.size).toBe(1);
      const [successor] = [...harness.graph.subscriptions.values()];
      expect((await harness.row(successor!.id)).replaces).toBe(id);
    },
  );
});
