import { HttpRequest } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { health } from '../../src/functions/health';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

const harness = useHarness();
const NOW = new Date('2026-11-28T12:00:00Z');
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const check = async () =>
  harness.answered(
    await health(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/webhooks/health' }),
      harness.context('health'),
    ),
  );

describe('the health answer for monitors', () => {
  it('answers 200 and nothing but {"healthy": true} once a run has finished and nothing is wrong', async () => {
    await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6) });
    await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

    const answer = await check();

    expect(answer.status).toBe(200);
    expect(answer.jsonBody).toEqual({ healthy: true });
    expect(answer.headers).toMatchObject({ 'Cache-Control': 'no-store' });
  });

  it('answers 503 {"healthy": false} without saying why when anything needs a person', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(NOW, 6), row: { consecutiveFailures: 2 } });

    const answer = await check();

    expect(answer.status).toBe(503);
    expect(answer.jsonBody).toEqual({ healthy: false });
    expect(JSON.stringify(answer)).not.toContain(id);
  });
});
