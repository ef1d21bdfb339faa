import { basename } from 'node:path';
import { HttpRequest } from '@azure/functions';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { lifecycleNotifications } from '../../src/functions/lifecycleNotifications';
import { settled } from '../../src/lifecycle/backlog';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { type Answer, httpsPost } from '../support/httpsPost';
import { scenario } from '../support/reliability/invariants';
import { recordInputs } from '../support/reliability/record';
import { hasStackTrace } from '../support/reliability/stackTrace';
import { useHarness } from '../support/useHarness';
import { type LifecycleRequest, lifecycleRequests } from './lifecycleRequests';

/** Fixed, so every run tries the same inputs; change it only on purpose (docs/reliability.md quotes it). */
const SEED = 20261128;
const RUNS = 1000;
// The inputs are made from these too (near misses of the client state, the stored ids): fixed as well.
const CLIENT_STATE = 'fuzz-Client-State-7f3a9c51e2b84d06';
const IDS = [
  '5a0e7c1d-0001-4f00-9a00-00000000f022',
  '5a0e7c1d-0002-4f00-9a00-00000000f022',
  '5a0e7c1d-0003-4f00-9a00-00000000f022',
];

const harness = useHarness({ WEBHOOK_CLIENT_STATE: CLIENT_STATE });

describe('the lifecycle endpoint under hostile input', () => {
  scenario(
    'input',
    `${RUNS} generated requests (seed ${SEED}): never a 5xx, a stack or a secret; nothing acted on without our client state`,
    harness,
    async ({ arranged }) => {
      const ids = await Promise.all(
        IDS.map((id, index) => storeSubscription(harness, { id, expiresAt: hoursFrom(new Date(), 50 + 10 * index) })),
      );
      await arranged();
      const secret = CLIENT_STATE;
      const tally = { inputs: 0, serverErrors: 0, stackTraces: 0, unclearErrors: 0, genuine: 0 };

      const property = fc.asyncProperty(lifecycleRequests(ids, secret), async (request) => {
        tally.inputs++;
        const writesBefore = graphWrites();
        const rowsBefore = await rowVersions();
        const logsBefore = harness.logs.length;
        const answer = await send(request);
        // Whatever the request started in the background must be over before Graph is looked at.
        await settled();
        const acted = graphWrites() > writesBefore;
        const logged = harness.logs.slice(logsBefore).map((line) => line.message);

        if (answer.status >= 500 || answer.status < 200) tally.serverErrors++;
        const echoed = request.kind === 'validation' && answer.status === 200;
        if (!echoed && hasStackTrace(answer.body)) tally.stackTraces++;
        if (answer.status >= 400 && !clearRefusal(answer.body)) tally.unclearErrors++;
        if (request.kind === 'notification' && request.genuine) tally.genuine++;

        expect(answer.status, 'status').toBeGreaterThanOrEqual(200);
        expect(answer.status, 'status').toBeLessThan(500);
        expect(echoed || !hasStackTrace(answer.body), 'a stack trace in the answer').toBe(true);
        expect(answer.body.includes(secret), 'the client state in the answer').toBe(false);
        if (answer.status >= 400)
          expect(clearRefusal(answer.body), `a refusal that says why: ${answer.body.slice(0, 200)}`).toBe(true);
        // What the caller sent may be named in a warning, never so as to forge or disguise a log line.
        expect(
          logged.filter((line) => UNPRINTABLE.test(line)),
          'log lines holding control characters',
        ).toEqual([]);
        expect(
          logged.filter((line) => line.split('| {').length > 2),
          'log lines with a forged event',
        ).toEqual([]);
        if (request.kind === 'validation') expectValidationAnswer(request.token, answer);
        else expect(acted && !request.genuine, 'acted on Graph without our client state').toBe(false);
        // Without our client state nothing is recorded either: no row written, nothing taken for an event.
        if (!(request.kind === 'notification' && request.genuine)) {
          expect(await rowVersions(), 'a row written without our client state').toEqual(rowsBefore);
          expect(
            logged.filter((line) => /"event":"(lifecycleReceived|notificationsMissed)"/.test(line)),
            'an event taken without our client state',
          ).toEqual([]);
        }
      });

      try {
        await fc.assert(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
      } finally {
        recordInputs({
          file: basename(import.meta.filename),
          name: 'lifecycle endpoint fuzz',
          seed: SEED,
          ...without(tally, 'genuine'),
        });
      }
      // The control: requests that did carry our client state were acted on, so "nothing acted" means something.
      expect(tally.genuine).toBeGreaterThan(0);
      expect(
        harness.graph.patches().length +
          harness.messages('error').filter((line) => line.includes('notificationsMissed')).length,
      ).toBeGreaterThan(0);
    },
    600_000,
  );
});

const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Each row's ETag, which any write changes. */
async function rowVersions(): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for await (const entity of harness.subscriptionsTable.listEntities()) versions[entity.rowKey!] = entity.etag;
  return versions;
}

/** Writes Graph saw: PATCH, POST, DELETE (a lifecycle request may only ever read without acting). */
function graphWrites(): number {
  return harness.graph.requests.filter((request) => request.method !== 'GET').length;
}

async function send(request: LifecycleRequest): Promise<Answer> {
  const url = harness.env.WEBHOOK_LIFECYCLE_URL!;
  if (request.kind === 'validation') {
    const query = `?validationToken=${encodeURIComponent(request.token)}`;
    // Graph's own validation request: a POST, text/plain, with an empty body.
    if (!request.direct) return httpsPost(`${url}${query}`, '', { 'content-type': 'text/plain; charset=utf-8' });
    return direct(
      new HttpRequest({
        method: 'POST',
        url: `${url}${query}`,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      }),
    );
  }
  if (!request.direct) return httpsPost(url, request.body, request.headers, !request.chunked);
  const bytes = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  return direct(new HttpRequest({ method: 'POST', url, headers: request.headers, body: { bytes } }));
}

/** Straight to the handler, for what HTTPS through the test host cannot carry intact. */
async function direct(request: HttpRequest): Promise<Answer> {
  const answer = harness.answered(await lifecycleNotifications(request, harness.context('lifecycleNotifications')));
  const headers = Object.fromEntries(
    Object.entries((answer.headers ?? {}) as Record<string, string>).map(([name, value]) => [
      name.toLowerCase(),
      value,
    ]),
  );
  if (answer.jsonBody !== undefined) headers['content-type'] = 'application/json';
  return {
    status: answer.status ?? 200,
    headers,
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the answers under test carry text bodies
    body: answer.jsonBody !== undefined ? JSON.stringify(answer.jsonBody) : String(answer.body ?? ''),
  };
}

/** The answer to Graph's validation: the decoded token exactly, as plain text the browser must not sniff. */
function expectValidationAnswer(token: string, answer: Answer): void {
  if (token.length > 4096) {
    expect(answer.status).toBe(400);
    return;
  }
  expect(answer.status).toBe(200);
  expect(answer.body).toBe(token);
  expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
}

/** A refusal is one JSON line saying what is wrong: {"success": false, "error": "..."}. */
function clearRefusal(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { success?: unknown; error?: unknown };
    return (
      parsed.success === false &&
      typeof parsed.error === 'string' &&
      parsed.error.length > 10 &&
      !parsed.error.includes('\n')
    );
  } catch {
    return false;
  }
}

function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const { [key]: _, ...rest } = value;
  return rest;
}
