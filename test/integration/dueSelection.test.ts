import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { HOUR, hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';
import { RENEWAL_SCHEDULE, scheduleFrom } from '../../src/renewal/schedule';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

describe('which rows a run reads (a server-side filter on the expiration)', () => {
  it('renews a row whose expiration was typed by hand as an ISO string, and stores it back as a DateTime', async () => {
    const now = new Date();
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(now, 5), row: { expirationDateTime: hoursFrom(now, 5).toISOString() } });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.row(id)).expirationDateTime).toBeInstanceOf(Date);
  });

  it('renews a hand-typed string with a zone offset that is due, however its text sorts', async () => {
    // An hour before the horizon (next run + 36 h margin), written at +13:00: as text it sorts 12 h after it.
    const { nextRunAt } = scheduleFrom(new Date(), RENEWAL_SCHEDULE, 'Europe/Paris');
    const due = hoursFrom(nextRunAt, 36 - 1);
    const local = new Date(due.getTime() + 13 * HOUR).toISOString().replace('Z', '+13:00');
    const id = await storeSubscription(harness, { expiresAt: due, row: { expirationDateTime: local } });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(1);
  });

  it('leaves alone a hand-typed string date that is not due', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 24 * 30), resource: 'users', row: { expirationDateTime: hoursFrom(new Date(), 24 * 30).toISOString() } });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect((await harness.runs())[0]).toMatchObject({ checked: 0, due: 0 });
  });

  it('renews a legacy row that has no state at all', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 4), row: { state: undefined } });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(1);
    expect(await harness.row(id)).toMatchObject({ state: 'active' });
  });

  it('reads a row once, whichever way its date is typed', async () => {
    const now = new Date();
    const typed = await storeSubscription(harness, { expiresAt: hoursFrom(now, 3) });
    const text = await storeSubscription(harness, { expiresAt: hoursFrom(now, 3), row: { expirationDateTime: hoursFrom(now, 3).toISOString() } });

    await run();

    expect(harness.graph.patches(typed)).toHaveLength(1);
    expect(harness.graph.patches(text)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ checked: 2, due: 2, renewed: 2 });
  });

  it('never PATCHes a row marked expired: it is recreated, once, though both selections return it', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), -30), onGraph: false, row: { state: 'expired' } });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ checked: 1, due: 1, recreated: 1, outcome: 'succeeded' });
  });

  it('reads a row awaiting a lifecycle action even when it is far from due', async () => {
    const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 65), row: { pendingLifecycleEvent: 'reauthorizationRequired' } });
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 65) });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ checked: 1, due: 1, renewed: 1 });
  });

  it('reports a hand-typed expiration that is not a date rather than skip it', async () => {
    await storeSubscription(harness, { id: 'typo', expiresAt: new Date(), onGraph: false, row: { expirationDateTime: 'tomorrow' } });

    await run();

    expect(harness.messages('error')).toContainEqual(expect.stringContaining('Skipping malformed subscription row default/typo: expirationDateTime is not a date'));
  });

  it('reads nothing from a table where nothing is due', async () => {
    const far = hoursFrom(new Date(), 24 * 20);
    const rows = Array.from({ length: 300 }, (_, i) => ({ partitionKey: 'bulk', rowKey: `far-${i}`, resource: INBOX, expirationDateTime: far }));
    for (let i = 0; i < rows.length; i += 100) {
      await harness.subscriptionsTable.submitTransaction(rows.slice(i, i + 100).map((row) => ['create', row]));
    }

    await run();

    expect((await harness.runs())[0]).toMatchObject({ checked: 0, due: 0, outcome: 'succeeded' });
  });
});
