import type { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';
import { RENEWAL_SCHEDULE, scheduleFrom } from '../../src/renewal/policy/schedule';
import { HOUR, hoursFrom, INBOX, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

const harness = useHarness();

const run = () => renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));

async function listed(table: TableClient): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const entity of table.listEntities({ queryOptions: { filter: "PartitionKey eq 'attention'" } }))
    rows.push(entity);
  return rows;
}

describe('which rows a run reads (a server-side filter on the expiration)', () => {
  it('leaves a date typed by hand as text to the census, which makes it a DateTime; the next run renews it', async () => {
    const now = new Date();
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(now, 5),
      row: { expirationDateTime: hoursFrom(now, 5).toISOString() },
    });

    await run();
    expect(harness.graph.patches(id)).toHaveLength(0);

    await harness.runCensus();
    expect((await harness.row(id)).expirationDateTime).toEqual(hoursFrom(now, 5));
    await run();
    expect(harness.graph.patches(id)).toHaveLength(1);
  });

  it('has the census hand a due text date to the renewal queue, so it is renewed before the next run', async () => {
    const now = new Date();
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(now, 5),
      row: { expirationDateTime: hoursFrom(now, 5).toISOString() },
    });

    await harness.runCensus();

    expect(await harness.takeQueuedRenewals()).toEqual([
      { partitionKey: 'default', rowKey: id, runId: expect.stringMatching(/^census-/) },
    ]);
  });

  it('reads a text date with a zone offset as its instant, however its text sorts', async () => {
    // An hour before the horizon (next run + 36 h margin), written at +13:00: as text it sorts 12 h after it.
    const { nextRunAt } = scheduleFrom(new Date(), RENEWAL_SCHEDULE, 'Europe/Paris');
    const due = hoursFrom(nextRunAt, 36 - 1);
    const local = new Date(due.getTime() + 13 * HOUR).toISOString().replace('Z', '+13:00');
    const id = await storeSubscription(harness, { expiresAt: due, row: { expirationDateTime: local } });

    await harness.runCensus();
    await run();

    expect((await harness.row(id)).expirationDateTime).toBeInstanceOf(Date);
    expect(harness.graph.patches(id)).toHaveLength(1);
  });

  it('leaves alone a hand-typed string date that is not due', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), 24 * 30),
      resource: 'users',
      row: { expirationDateTime: hoursFrom(new Date(), 24 * 30).toISOString() },
    });

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

  it('reads only DateTime expirations, each row once, though Azurite also matches text dates', async () => {
    const now = new Date();
    const typed = await storeSubscription(harness, { expiresAt: hoursFrom(now, 3) });
    const text = await storeSubscription(harness, {
      expiresAt: hoursFrom(now, 3),
      row: { expirationDateTime: hoursFrom(now, 3).toISOString() },
    });

    await run();

    expect(harness.graph.patches(typed)).toHaveLength(1);
    expect(harness.graph.patches(text)).toHaveLength(0);
    expect((await harness.runs())[0]).toMatchObject({ checked: 1, due: 1, renewed: 1 });
  });

  it('never PATCHes a row marked expired: it is recreated, once, though both selections return it', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), -30),
      onGraph: false,
      row: { state: 'expired' },
    });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(0);
    expect(harness.graph.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ checked: 1, due: 1, recreated: 1, outcome: 'succeeded' });
  });

  it('reads a row awaiting a lifecycle action even when it is far from due', async () => {
    const id = await storeSubscription(harness, {
      expiresAt: hoursFrom(new Date(), 65),
      row: { pendingLifecycleEvent: 'reauthorizationRequired' },
    });
    await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 65) });

    await run();

    expect(harness.graph.patches(id)).toHaveLength(1);
    expect((await harness.runs())[0]).toMatchObject({ checked: 1, due: 1, renewed: 1 });
  });

  it('has the census report a hand-typed expiration that is not a date, and leave the row as it is', async () => {
    await storeSubscription(harness, {
      id: 'typo',
      expiresAt: new Date(),
      onGraph: false,
      row: { expirationDateTime: 'tomorrow' },
    });
    const before = await harness.row('typo');

    await harness.runCensus();

    const [entry] = [...(await listed(harness.indexTable))];
    expect(entry).toMatchObject({
      kind: 'invalid',
      subscriptionRowKey: 'typo',
      detail: expect.stringContaining('expirationDateTime is not a date'),
    });
    expect(await harness.row('typo')).toEqual(before);
  });

  it('reads nothing from a table where nothing is due', async () => {
    const far = hoursFrom(new Date(), 24 * 20);
    const rows = Array.from({ length: 300 }, (_, i) => ({
      partitionKey: 'bulk',
      rowKey: `far-${i}`,
      resource: INBOX,
      expirationDateTime: far,
    }));
    for (let i = 0; i < rows.length; i += 100) {
      await harness.subscriptionsTable.submitTransaction(rows.slice(i, i + 100).map((row) => ['create', row]));
    }

    await run();

    expect((await harness.runs())[0]).toMatchObject({ checked: 0, due: 0, outcome: 'succeeded' });
  });
});
