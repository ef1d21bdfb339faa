import { basename } from 'node:path';
import { HttpRequest } from '@azure/functions';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config';
import { lifecycleNotifications } from '../../src/functions/lifecycleNotifications';
import { schedulerStatus } from '../../src/functions/schedulerStatus';
import {
  listSubscriptions,
  registerSubscription,
  removeSubscription,
  renewSubscriptionsNow,
} from '../../src/functions/subscriptionOperations';
import { hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import type { StatusAnswer } from '../support/harness';
import { scenario } from '../support/reliability/invariants';
import { recordInputs } from '../support/reliability/record';
import { STACK_TRACE as STACK } from '../support/reliability/stackTrace';
import { useHarness } from '../support/useHarness';
import { INVALID_SETTINGS } from './invalidSettings';
import { COMPLETE_ROW, ROW_FIELDS } from './rowFields';

const harness = useHarness();
const file = basename(import.meta.filename);

/** The timer run; what it throws is rethrown after the harness recorded it for the leak check. */
const run = async () => {
  const error = await harness.runTimer();
  if (error) throw error;
};
const status = async (query = '') =>
  harness.answered(
    await schedulerStatus(harness.statusRequest(query), harness.context('schedulerStatus')),
  ) as StatusAnswer;

describe('malformed rows: each field the row schema reads, missing and of the wrong type', () => {
  const tried = { inputs: 0, stackTraces: 0, unclearErrors: 0 };
  afterAll(() => recordInputs({ file, name: 'malformed rows', serverErrors: 0, ...tried }));

  /** Asserts `id`'s row was left alone and named (by the run, or by the status) with `field`; counts it. */
  async function expectRefused(
    id: string,
    field: string,
    before: Record<string, unknown>,
    namedBy: string[],
  ): Promise<void> {
    tried.inputs++;
    const naming = namedBy.filter((line) => line.includes(`default/${id}`));
    if (naming.some((line) => STACK.test(line))) tried.stackTraces++;
    if (!naming.some((line) => new RegExp(`default/${id}[ :].*\\b${field}\\b`).test(line))) tried.unclearErrors++;
    expect(naming, `what names row ${id}`).toContainEqual(expect.stringMatching(new RegExp(`\\b${field}\\b`)));
    expect(
      harness.graph.requests.filter((request) => request.path.endsWith(`/${id}`)),
      'Graph calls for a malformed row',
    ).toEqual([]);
    expect(await harness.row(id), 'the malformed row, after').toEqual(before);
  }

  for (const { field, required, wrong, informs } of ROW_FIELDS) {
    scenario(
      'input',
      `${field} missing, and of the wrong type (${JSON.stringify(wrong)}), next to good rows${informs ? ': renewed all the same' : ''}`,
      harness,
      async ({ arranged }) => {
        const now = new Date();
        const expiresAt = hoursFrom(now, 6);
        const store = (row: Record<string, unknown>) =>
          storeSubscription(harness, { expiresAt, row: { ...COMPLETE_ROW(now), ...row } });
        const good = [await store({}), await store({})];
        const missing = await store({ [field]: undefined });
        const wrongType = await store({ [field]: wrong });
        const before = { missing: await harness.row(missing), wrongType: await harness.row(wrongType) };
        await arranged();

        await run();
        const problems: string[] = (await status()).jsonBody.problems;

        for (const id of good) expect(harness.graph.patches(id), 'a good row').toHaveLength(1);
        // The run reads the rows due by their expiration; one without a usable expiration is not
        // among them (docs/table-schema.md), and the status names it instead.
        const namedBy = field === 'expirationDateTime' ? problems : [...harness.messages('error'), ...problems];
        if (required) await expectRefused(missing, field, before.missing, namedBy);
        else expect(harness.graph.patches(missing), `a row without ${field} (optional)`).toHaveLength(1);
        if (informs) {
          tried.inputs++;
          expect(harness.graph.patches(wrongType), `a row with an unreadable ${field}`).toHaveLength(1);
          expect(((await harness.row(wrongType)).expirationDateTime as Date).getTime()).toBe(
            harness.graph.subscriptions.get(wrongType)!.expirationDateTime.getTime(),
          );
        } else {
          await expectRefused(wrongType, field, before.wrongType, namedBy);
        }
      },
    );
  }

  scenario('input', 'an empty RowKey (the subscription id), next to good rows', harness, async ({ arranged }) => {
    const now = new Date();
    const good = await storeSubscription(harness, { expiresAt: hoursFrom(now, 6) });
    await harness.subscriptionsTable.createEntity({
      partitionKey: 'default',
      rowKey: '',
      ...COMPLETE_ROW(now),
      expirationDateTime: hoursFrom(now, 6),
    });
    const before = await harness.row('');
    await arranged();

    await run();

    expect(harness.graph.patches(good)).toHaveLength(1);
    // The RowKey, like the PartitionKey, is always a string: Table Storage has no other type for keys.
    await expectRefused('', 'RowKey', before, harness.messages('error'));
    // No subscription on Graph can have an empty id: nothing could have kept this one alive.
    return { unrenewable: [''] };
  });
});

describe('invalid settings: each one refused with an error that names it and says what to do', () => {
  const tried = { inputs: 0, stackTraces: 0, unclearErrors: 0 };
  afterAll(() => recordInputs({ file, name: 'invalid settings', serverErrors: 0, ...tried }));

  it('has at least one invalid value for every setting the app reads', () => {
    expect(new Set(INVALID_SETTINGS.map(([setting]) => setting))).toEqual(
      new Set([...SETTINGS, ...TIMER_SWITCH_ALIASES]),
    );
  });

  it.each(INVALID_SETTINGS)('%s=%j', (setting, value, base) => {
    tried.inputs++;
    const error = configErrorFor({ TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true', ...base, [setting]: value });
    if (STACK.test(error.message)) tried.stackTraces++;
    if (!error.message.startsWith(`${setting}: `)) tried.unclearErrors++;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.setting).toBe(setting);
    expect(error.message.startsWith(`${setting}: `), error.message).toBe(true);
    expect(error.message).toMatch(/\b(use|set|put|remove|leave|must|expected|check)\b/i);
    expect(error.message).not.toMatch(STACK);
    // A rejected value may be a secret (a client state, an account key): the message never quotes it.
    if (/CLIENT_STATE|CONNECTION_STRING|AzureWebJobsStorage$/.test(setting))
      expect(error.message).not.toContain(value.trim());
  });

  it('the timer fails with a log line that names the setting, without a stack', async () => {
    process.env.RENEWAL_CONCURRENCY = '0';
    await expect(run()).rejects.toThrow(/^RENEWAL_CONCURRENCY: "0" is not valid/);
    expect(harness.messages('error')).toEqual([
      expect.stringMatching(/^Renewal check could not run: RENEWAL_CONCURRENCY: "0" is not valid: use a whole number/),
    ]);
    expect(harness.messages().join('\n')).not.toMatch(STACK);
  });

  it('the status answers 503 naming the setting, without a stack', async () => {
    process.env.GRAPH_BASE_URL = 'http://graph.microsoft.com';
    const answer = await status();
    expect(answer.status).toBe(503);
    expect(answer.jsonBody.problems).toEqual([
      expect.stringMatching(/^Configuration error: GRAPH_BASE_URL: must be an https URL/),
    ]);
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(STACK);
  });

  it('the status reports a malformed webhook setting as a problem, and renewals go on', async () => {
    process.env.WEBHOOK_LIFECYCLE_URL = 'http://not-https.example/api/webhooks/lifecycle';
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6) });
    await run();
    expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await status()).jsonBody.problems).toContainEqual(
      expect.stringMatching(/^Configuration error: WEBHOOK_LIFECYCLE_URL: must be an https URL/),
    );
  });

  it('the lifecycle endpoint answers 503 and logs which setting, without quoting a secret', async () => {
    process.env.WEBHOOK_CLIENT_STATE = '@Microsoft.KeyVault(SecretUri=https://vault.example/secrets/state)';
    const answer = harness.answered(
      await lifecycleNotifications(
        new HttpRequest({
          method: 'POST',
          url: harness.env.WEBHOOK_LIFECYCLE_URL,
          headers: { 'content-type': 'application/json' },
          body: { string: '{"value":[]}' },
        }),
        harness.context('lifecycleNotifications'),
      ),
    );
    expect(answer).toMatchObject({
      status: 503,
      jsonBody: { success: false, error: 'The app is misconfigured; see its logs.' },
    });
    expect(harness.messages('error')).toEqual([
      expect.stringContaining('WEBHOOK_CLIENT_STATE: is an unresolved Key Vault reference'),
    ]);
  });

  it('the operations answer 503 naming the setting', async () => {
    process.env.SUBSCRIPTIONS_TABLE = 'not-a-table';
    const answer = harness.answered(
      await listSubscriptions(
        new HttpRequest({ method: 'GET', url: 'http://localhost/api/webhooks/subscriptions' }),
        harness.context('operations'),
      ),
    );
    expect(answer).toMatchObject({
      status: 503,
      jsonBody: {
        success: false,
        error: expect.stringMatching(
          /^Configuration error: SUBSCRIPTIONS_TABLE: "not-a-table" is not a valid table name/,
        ),
      },
    });
  });
});

describe('status query parameters: anything but a number of hours is a 400 that names hours', () => {
  const tried = { inputs: 0, serverErrors: 0, stackTraces: 0, unclearErrors: 0 };
  afterAll(() => recordInputs({ file, name: 'status query parameters', ...tried }));

  const QUERIES = [
    '?hours=-1',
    '?hours=abc',
    '?hours=1e12',
    '?hours=0',
    '?hours=',
    '?hours',
    '?hours=NaN',
    '?hours=Infinity',
    '?hours=-Infinity',
    '?hours=1e-9',
    '?hours=1e2',
    '?hours=0x30',
    '?hours=%2B48',
    '?hours=48h',
    '?hours=48%20hours',
    '?hours=8761',
    '?hours=48&hours=72',
    '?hours=48&hours=abc',
    `?hours=${'9'.repeat(10_000)}`,
    `?hours=${encodeURIComponent('<script>alert(1)</script>')}`,
    `?hours=${encodeURIComponent('４８')}`,
    `?hours=${encodeURIComponent('٤٨')}`,
    `?hours=${encodeURIComponent('48\u0000')}`,
    `?hours=${encodeURIComponent('💥'.repeat(1000))}`,
    '?hours=%E0%A4%A',
  ];

  it.each(QUERIES.map((query) => [query.length > 60 ? `${query.slice(0, 60)}…` : query, query]))(
    '%s',
    async (_, query) => {
      tried.inputs++;
      const answer = await status(query);
      const body = JSON.stringify(answer.jsonBody);
      if ((answer.status ?? 200) >= 500) tried.serverErrors++;
      if (STACK.test(body)) tried.stackTraces++;
      if (!/^hours .*e\.g\. \?hours=48/.test(answer.jsonBody.error)) tried.unclearErrors++;
      expect(answer.status).toBe(400);
      expect(answer.jsonBody).toEqual({ success: false, error: expect.stringMatching(/^hours .*e\.g\. \?hours=48/) });
      expect(body.length).toBeLessThan(400);
    },
  );

  it('still takes a plain number of hours', async () => {
    expect((await status('?hours=48')).jsonBody.expiring_within).toMatchObject({ hours: 48 });
    expect((await status('?hours=%2048%20')).jsonBody.expiring_within).toMatchObject({ hours: 48 });
    expect((await status('?hours=0.5')).jsonBody.expiring_within).toMatchObject({ hours: 0.5 });
  });
});

describe('operations: bad bodies and paths answer 4xx with a message, never a 5xx or a stack', () => {
  const tried = { inputs: 0, serverErrors: 0, stackTraces: 0, unclearErrors: 0 };
  afterAll(() => recordInputs({ file, name: 'operation requests', ...tried }));

  const call = async (
    handler: typeof listSubscriptions,
    method: string,
    body?: string,
    params: Record<string, string> = {},
  ) => {
    const request = new HttpRequest({
      method,
      url: 'http://localhost/api/webhooks/subscriptions',
      params,
      ...(body === undefined ? {} : { body: { string: body } }),
    });
    const answer = harness.answered(await handler(request, harness.context('operations'))) as StatusAnswer;
    tried.inputs++;
    if ((answer.status ?? 200) >= 500) tried.serverErrors++;
    if (STACK.test(JSON.stringify(answer.jsonBody))) tried.stackTraces++;
    if (typeof answer.jsonBody?.error !== 'string' || answer.jsonBody.error.length < 10) tried.unclearErrors++;
    return answer;
  };

  it.each([
    ['register', registerSubscription, '{"resource": '],
    ['register', registerSubscription, '[]'],
    ['register', registerSubscription, '"users/x/messages"'],
    ['register', registerSubscription, '{"resource": 42}'],
    ['register', registerSubscription, JSON.stringify({ resource: INBOX, clientState: 'mine' })],
    ['register', registerSubscription, '{"resource": "users/x/messages", "notificationUrl": "javascript:alert(1)"}'],
    ['register', registerSubscription, '{"resource": "users/x/messages", "partitionKey": "a/b"}'],
    ['register', registerSubscription, `{"${'x'.repeat(10_000)}": 1}`],
    ['renew', renewSubscriptionsNow, 'not json'],
    ['renew', renewSubscriptionsNow, '[1]'],
    ['renew', renewSubscriptionsNow, '{"id": 7}'],
    ['renew', renewSubscriptionsNow, '{"force": "yes"}'],
    ['renew', renewSubscriptionsNow, '{"id": "no-such-subscription"}'],
    ['renew', renewSubscriptionsNow, '{"ids": ["a"]}'],
  ] as const)('%s %s', async (_, handler, body) => {
    const answer = await call(handler, 'POST', body);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.jsonBody).toEqual({ success: false, error: expect.any(String) });
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(STACK);
    expect(harness.graph.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it.each(['', ' ', 'no-such-subscription', '../..', `${'é'.repeat(500)}`])('remove %j', async (id) => {
    const answer = await call(removeSubscription, 'DELETE', undefined, { id });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.jsonBody).toEqual({ success: false, error: expect.any(String) });
    expect(JSON.stringify(answer.jsonBody)).not.toMatch(STACK);
    expect(
      harness.graph.requests.filter(
        (request) => request.method !== 'GET' && !request.path.endsWith(`/${encodeURIComponent(id)}`),
      ),
    ).toEqual([]);
  });
});

/** The other spellings of the timer's disable switch the app reads (Linux settings cannot hold dots). */
const TIMER_SWITCH_ALIASES = ['AzureWebJobs_renewSubscriptions_Disabled', 'AzureWebJobs__renewSubscriptions__Disabled'];

function configErrorFor(env: Record<string, string>): ConfigError {
  try {
    const config = loadConfig(env);
    // The webhook settings stop only what needs them: their error is kept, not thrown.
    if (config.webhookProblem)
      return new ConfigError(config.webhookProblem.split(':')[0]!, config.webhookProblem.replace(/^[^:]+: /, ''));
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}
