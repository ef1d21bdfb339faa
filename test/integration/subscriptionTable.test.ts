import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StoredSubscription } from '../../src/renewal/subscription';
import { SubscriptionTable } from '../../src/storage/subscriptionTable';
import { hoursFrom, INBOX } from '../support/fixtures';

let client: TableClient;
let table: SubscriptionTable;
beforeAll(async () => {
  client = TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `subs${randomBytes(4).toString('hex')}`,
    {
      allowInsecureConnection: true,
    },
  );
  table = new SubscriptionTable(client);
  await table.ensureExists();
});
afterAll(async () => client.deleteTable());

const now = new Date('2026-02-15T08:00:00Z');

/** Stores a row and reads it back as the run would have read it (with its ETag). */
async function stored(id: string, expiresAt: Date): Promise<StoredSubscription> {
  await client.createEntity({ partitionKey: 'default', rowKey: id, resource: INBOX, expirationDateTime: expiresAt });
  for await (const page of table.pages()) {
    for (const row of page) if (row.ok && row.subscription.id === id) return row.subscription;
  }
  throw new Error('row not found');
}

/** Another writer changes the row after we read it, so our ETag is stale. */
async function changedBehindOurBack(id: string, expiresAt: Date) {
  await client.updateEntity({ partitionKey: 'default', rowKey: id, expirationDateTime: expiresAt }, 'Merge');
}

const expirationOf = async (id: string) => (await client.getEntity('default', id)).expirationDateTime;

describe('writing a renewal with a stale ETag', () => {
  it('keeps the later expiration another run stored meanwhile', async () => {
    const subscription = await stored('newer', hoursFrom(now, 5));
    await changedBehindOurBack('newer', hoursFrom(now, 72));

    expect(await table.saveRenewal(subscription, hoursFrom(now, 70), now, false)).toBe('newer-kept');
    expect(await expirationOf('newer')).toEqual(hoursFrom(now, 72));
  });

  it('writes over an unrelated change that left an earlier expiration', async () => {
    const subscription = await stored('older', hoursFrom(now, 5));
    await changedBehindOurBack('older', hoursFrom(now, 6));

    expect(await table.saveRenewal(subscription, hoursFrom(now, 70), now, false)).toBe('saved');
    expect(await expirationOf('older')).toEqual(hoursFrom(now, 70));
  });

  it('does not record a failure over a renewal that succeeded after it', async () => {
    const subscription = await stored('late-failure', hoursFrom(now, 5));
    await client.updateEntity(
      { partitionKey: 'default', rowKey: 'late-failure', lastRenewedAt: hoursFrom(now, 1) },
      'Merge',
    );

    await table.recordFailure(subscription, { at: now, statusCode: 503, code: 'ServiceUnavailable', message: 'x' });

    const row = await client.getEntity('default', 'late-failure');
    expect(row.lastErrorStatus).toBeUndefined();
  });

  it('does not record a failure over a concurrent run that renewed it first', async () => {
    const subscription = await stored('renewed-first', hoursFrom(now, 5));
    await changedBehindOurBack('renewed-first', hoursFrom(now, 70));

    await table.recordFailure(subscription, { at: now, statusCode: 429, code: 'TooManyRequests', message: 'x' });

    const row = await client.getEntity('default', 'renewed-first');
    expect(row.lastErrorStatus).toBeUndefined();
    expect(row.consecutiveFailures).toBeUndefined();
  });

  it('records a failure on a fresh read when the row changed for another reason', async () => {
    const subscription = await stored('conflict', hoursFrom(now, 5));
    await client.updateEntity({ partitionKey: 'default', rowKey: 'conflict', note: 'edited by hand' }, 'Merge');

    await table.recordFailure(subscription, { at: now, statusCode: 503, code: 'ServiceUnavailable', message: 'x' });

    expect(await client.getEntity('default', 'conflict')).toMatchObject({
      lastErrorStatus: 503,
      consecutiveFailures: 1,
      note: 'edited by hand',
      expirationDateTime: hoursFrom(now, 5),
    });
  });
});

describe('reading the due rows', () => {
  it("reads every due DateTime row once, across pages, and none of the others (text dates are the census's)", async () => {
    const paged = TableClient.fromConnectionString(
      inject('azuriteConnectionString'),
      `due${randomBytes(4).toString('hex')}`,
      {
        allowInsecureConnection: true,
      },
    );
    await paged.createTable();
    try {
      const horizon = hoursFrom(now, 48);
      const rows = Array.from({ length: 90 }, (_, i) => {
        const due = i % 3 === 0;
        const expiresAt = due ? hoursFrom(now, i % 2 === 0 ? 5 : -5) : hoursFrom(now, 24 * 10);
        // Every fifth row holds its date as an ISO string, as typed by hand.
        return {
          partitionKey: 'p',
          rowKey: `r${String(i).padStart(2, '0')}`,
          resource: INBOX,
          expirationDateTime: i % 5 === 0 ? expiresAt.toISOString() : expiresAt,
        };
      });
      await paged.submitTransaction(rows.map((row) => ['create', row]));
      const pages: string[][] = [];
      for await (const page of new SubscriptionTable(paged, 7).duePages(horizon))
        pages.push(page.map((row) => (row.ok ? row.subscription.id : row.rowKey)));

      expect(pages.length).toBeGreaterThan(3);
      const read = pages.flat().sort();
      expect(read).toEqual(rows.filter((_, i) => i % 3 === 0 && i % 5 !== 0).map((row) => row.rowKey));
    } finally {
      await paged.deleteTable();
    }
  });
});
