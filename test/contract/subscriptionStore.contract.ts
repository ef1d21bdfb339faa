import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SubscriptionStore } from '../../src/renewal/ports';
import type { StoredRow, StoredSubscription, SubscriptionDefinition } from '../../src/renewal/subscription';

/** A row as a test sets the scene: what a hand, an earlier run or another writer left on the table. */
export type SeedRow = Pick<StoredSubscription, 'id' | 'expirationDateTime'> &
  Partial<
    Pick<
      StoredSubscription,
      | 'partitionKey'
      | 'resource'
      | 'state'
      | 'leaseUntil'
      | 'pendingLifecycleEvent'
      | 'shortLived'
      | 'lastMissedAt'
      | 'lastRenewedAt'
    >
  >;

/** One side of the contract: the store, and the hands that set the scene behind its back. */
export interface StoreUnderContract {
  store: SubscriptionStore;
  /** Stores a row and resolves with it as the store reads it (its ETag included). */
  seed(row: SeedRow): Promise<StoredSubscription>;
  /** Stores a row whose `state` is "paused": not a subscription the store can read. */
  seedMalformed(partitionKey: string, rowKey: string): Promise<void>;
  /** Another writer changes the row (its ETag changes). */
  changeBehindOurBack(
    id: string,
    changes: Partial<Pick<StoredSubscription, 'expirationDateTime' | 'leaseUntil' | 'lastRenewedAt'>>,
    partitionKey?: string,
  ): Promise<void>;
  /** Another writer deletes the row. */
  deleteBehindOurBack(id: string, partitionKey?: string): Promise<void>;
}

const HOUR = 3_600_000;
const INBOX = "users/8d3e3f4e-0f7e-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages";
const DEFINITION: SubscriptionDefinition = {
  resource: INBOX,
  changeType: 'created,updated',
  notificationUrl: 'https://contoso.example/api/notifications',
  lifecycleNotificationUrl: 'https://contoso.example/api/lifecycle',
};

/** What the port reads, without the undefined fields and the ETag (each side has its own). */
function plain(subscription: StoredSubscription | undefined): Record<string, unknown> | undefined {
  if (!subscription) return undefined;
  return Object.fromEntries(
    Object.entries(subscription).filter(([key, value]) => value !== undefined && key !== 'etag'),
  );
}

async function rowsOf(selections: AsyncIterable<StoredRow[]>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const selection of selections)
    for await (const page of selection) for (const row of page) ids.push(row.ok ? row.subscription.id : row.rowKey);
  return [...new Set(ids)].sort();
}

async function failureOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as Record<string, unknown> | undefined;
  expect(error, 'expected the call to fail').toBeDefined();
  return {
    name: error!.name,
    statusCode: error!.statusCode,
    code: error!.code,
    tableMissing: error!.tableMissing,
    message: error!.message,
  };
}

/**
 * What every SubscriptionStore must do, for the renewal run to work on it the same way: run against the
 * in-memory fake and the Table adapter on Azurite, so that one can stand in for the other.
 */
export function describeSubscriptionStoreContract(name: string, make: () => Promise<StoreUnderContract>): void {
  describe(`the subscription store contract: ${name}`, () => {
    let side: StoreUnderContract;
    let store: SubscriptionStore;
    const now = () => new Date();
    beforeEach(async () => {
      side = await make();
      store = side.store;
    });

    describe('inserting and reading', () => {
      it('reads back a subscription it stored, by its keys and by its id', async () => {
        const id = randomUUID();
        const expirationDateTime = new Date(Math.floor(Date.now() / 1000) * 1000 + 70 * HOUR);
        const at = new Date();
        await store.insert('tenant-a', DEFINITION, { id, expirationDateTime }, at, false);

        const read = await store.read('tenant-a', id);
        expect(read?.ok).toBe(true);
        const expected = {
          partitionKey: 'tenant-a',
          id,
          ...DEFINITION,
          expirationDateTime,
          state: 'active',
          consecutiveFailures: 0,
          lastRenewedAt: at,
          shortLived: false,
        };
        expect(plain((read as { subscription: StoredSubscription }).subscription)).toEqual(expected);
        expect(plain(await store.find(id))).toEqual(expected);
      });

      it('refuses to insert a row whose id is stored already, with a 409 EntityAlreadyExists', async () => {
        const created = { id: randomUUID(), expirationDateTime: new Date(Date.now() + 70 * HOUR) };
        await store.insert('default', DEFINITION, created, now(), false);

        expect(await failureOf(store.insert('default', DEFINITION, created, now(), false))).toEqual({
          name: 'TableStorageError',
          statusCode: 409,
          // The adapter's error carries no code of its own for the service's answers: the service's code is in the message.
          code: undefined,
          tableMissing: false,
          message: expect.stringContaining('"code":"EntityAlreadyExists"'),
        });
      });

      it('reads nothing for a row that is not there, and finds nothing for an id no row can have', async () => {
        expect(await store.read('default', randomUUID())).toBeUndefined();
        expect(await store.find(randomUUID())).toBeUndefined();
        expect(await store.find('not/a/key')).toBeUndefined();
      });

      it('reads a row it cannot understand as malformed, and refuses to find it by id', async () => {
        await side.seedMalformed('default', 'paused-row');

        expect(await store.read('default', 'paused-row')).toEqual({
          ok: false,
          partitionKey: 'default',
          rowKey: 'paused-row',
          problem: 'state "paused" is not "active" or "expired".',
        });
        await expect(store.find('paused-row')).rejects.toMatchObject({ name: 'MalformedRowError' });
      });
    });

    describe('writing with a stale ETag', () => {
      it('keeps the later expiration another run stored meanwhile', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.changeBehindOurBack(read.id, {
          expirationDateTime: new Date(read.expirationDateTime.getTime() + 72 * HOUR),
        });

        expect(await store.saveRenewal(read, new Date(Date.now() + 70 * HOUR), now(), false)).toBe('newer-kept');
        expect((await store.find(read.id))!.expirationDateTime).toEqual(
          new Date(read.expirationDateTime.getTime() + 72 * HOUR),
        );
      });

      it('writes over an unrelated change that left an earlier expiration', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.changeBehindOurBack(read.id, { expirationDateTime: new Date(Date.now() + 6 * HOUR) });
        const renewed = new Date(Math.floor(Date.now() / 1000) * 1000 + 70 * HOUR);

        expect(await store.saveRenewal(read, renewed, now(), false)).toBe('saved');
        expect((await store.find(read.id))!.expirationDateTime).toEqual(renewed);
      });

      it('records a failure without touching the expiration, and not over a renewal that came after it', async () => {
        const failure = {
          at: now(),
          statusCode: 503,
          code: 'ServiceUnavailable',
          message: 'Injected fault.',
          requestId: 'r-1',
        };
        const failing = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await store.recordFailure(failing, failure);
        const renewedLater = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.changeBehindOurBack(renewedLater.id, { lastRenewedAt: new Date(Date.now() + HOUR) });
        await store.recordFailure(renewedLater, failure);

        expect(plain(await store.find(failing.id))).toMatchObject({
          expirationDateTime: failing.expirationDateTime,
          consecutiveFailures: 1,
          lastFailure: { at: failure.at, statusCode: 503, code: 'ServiceUnavailable', message: 'Injected fault.' },
        });
        expect((await store.find(failing.id))!.lastFailure).not.toHaveProperty('requestId', 'r-1');
        expect(plain(await store.find(renewedLater.id))).toMatchObject({ consecutiveFailures: 0 });
        expect(plain(await store.find(renewedLater.id))).not.toHaveProperty('lastFailure');
      });

      it('fails a write to a row deleted since it was read with a 404 ResourceNotFound, not a missing table', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.deleteBehindOurBack(read.id);

        const expected = {
          name: 'TableStorageError',
          statusCode: 404,
          code: undefined,
          tableMissing: false,
          message: expect.stringContaining('"code":"ResourceNotFound"'),
        };
        expect(await failureOf(store.saveRenewal(read, new Date(Date.now() + 70 * HOUR), now(), false))).toEqual(
          expected,
        );
        expect(await failureOf(store.claim(read, new Date(Date.now() + HOUR), () => true))).toEqual(expected);
        expect(
          await failureOf(
            store.replace(
              read,
              DEFINITION,
              { id: randomUUID(), expirationDateTime: new Date(Date.now() + 70 * HOUR) },
              now(),
              false,
            ),
          ),
        ).toEqual(expected);
        await expect(store.remove(read)).resolves.toBeUndefined();
      });
    });

    describe('leases', () => {
      it('leases a free row, and resolves with it under its new ETag', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        const until = new Date(Date.now() + 10 * 60_000);

        const leased = await store.claim(read, until, () => true);

        expect(leased).toMatchObject({ id: read.id, leaseUntil: until });
        expect(leased!.etag).not.toBe(read.etag);
        expect(await store.saveRenewal(leased!, new Date(Date.now() + 70 * HOUR), now(), false)).toBe('saved');
        expect((await store.find(read.id))!.leaseUntil).toBeUndefined();
      });

      it('leaves a row alone while another worker holds its lease, whether it was read with it or not', async () => {
        const held = await side.seed({
          id: randomUUID(),
          expirationDateTime: new Date(Date.now() + 5 * HOUR),
          leaseUntil: new Date(Date.now() + 5 * 60_000),
        });
        const takenMeanwhile = await side.seed({
          id: randomUUID(),
          expirationDateTime: new Date(Date.now() + 5 * HOUR),
        });
        const theirs = new Date(Date.now() + 7 * 60_000);
        await side.changeBehindOurBack(takenMeanwhile.id, { leaseUntil: theirs });

        expect(await store.claim(held, new Date(Date.now() + HOUR), () => true)).toBeUndefined();
        expect(await store.claim(takenMeanwhile, new Date(Date.now() + HOUR), () => true)).toBeUndefined();
        expect((await store.find(takenMeanwhile.id))!.leaseUntil).toEqual(theirs);
      });

      it("takes a row whose lease has run out, or is this worker's own", async () => {
        const lapsed = await side.seed({
          id: randomUUID(),
          expirationDateTime: new Date(Date.now() + 5 * HOUR),
          leaseUntil: new Date(Date.now() - 60_000),
        });
        const ours = new Date(Date.now() + 5 * 60_000);
        const own = await side.seed({
          id: randomUUID(),
          expirationDateTime: new Date(Date.now() + 5 * HOUR),
          leaseUntil: ours,
        });

        expect(await store.claim(lapsed, new Date(Date.now() + HOUR), () => true)).toBeDefined();
        expect(await store.claim(own, new Date(Date.now() + HOUR), () => true, ours)).toBeDefined();
      });

      it('does not lease a row whose change since it was read makes the work pointless', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.changeBehindOurBack(read.id, { expirationDateTime: new Date(Date.now() + 70 * HOUR) });

        const stillWanted = (current: StoredSubscription) =>
          current.expirationDateTime.getTime() === read.expirationDateTime.getTime();
        expect(await store.claim(read, new Date(Date.now() + HOUR), stillWanted)).toBeUndefined();
      });

      it("gives back its own lease, and not another worker's that replaced it", async () => {
        const ours = new Date(Date.now() + 5 * 60_000);
        const mine = (await store.claim(
          await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) }),
          ours,
          () => true,
        ))!;
        const replaced = (await store.claim(
          await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) }),
          ours,
          () => true,
        ))!;
        const theirs = new Date(Date.now() + 9 * 60_000);
        await side.changeBehindOurBack(replaced.id, { leaseUntil: theirs });

        await store.releaseIfOurs(mine, ours);
        await store.releaseIfOurs(replaced, ours);

        expect((await store.find(mine.id))!.leaseUntil).toBeUndefined();
        expect((await store.find(replaced.id))!.leaseUntil).toEqual(theirs);
      });

      it('leases rows of a partition all at once, or none when one changed since it was read', async () => {
        const rows = await Promise.all(
          [1, 2, 3].map((h) =>
            side.seed({ id: randomUUID(), partitionKey: 'batch', expirationDateTime: new Date(Date.now() + h * HOUR) }),
          ),
        );
        const until = new Date(Date.now() + 10 * 60_000);

        const leased = await store.leaseMany(rows, until);
        expect(leased.map((row) => [row.id, row.leaseUntil])).toEqual(rows.map((row) => [row.id, until]));
        expect(leased.every((row, i) => row.etag !== rows[i]!.etag)).toBe(true);

        await side.changeBehindOurBack(rows[1]!.id, { lastRenewedAt: now() }, 'batch');
        expect(await store.leaseMany(leased, undefined)).toEqual([]);
        expect((await store.find(rows[0]!.id))!.leaseUntil).toEqual(until);
      });
    });

    describe('definitions and notes', () => {
      it('writes the definition Graph now holds with the expiration it answered, and gives the lease back', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        const leased = (await store.claim(read, new Date(Date.now() + 10 * 60_000), () => true))!;
        const renewed = {
          expiration: new Date(Math.floor(Date.now() / 1000) * 1000 + 70 * HOUR),
          at: now(),
          shortLived: false,
        };

        await store.saveDefinition(leased, { notificationUrl: 'https://contoso.example/new' }, renewed);

        expect(plain(await store.find(read.id))).toMatchObject({
          notificationUrl: 'https://contoso.example/new',
          expirationDateTime: renewed.expiration,
          lastRenewedAt: renewed.at,
          consecutiveFailures: 0,
        });
        expect(plain(await store.find(read.id))).not.toHaveProperty('leaseUntil');
      });

      it('notes missed notifications without touching anything else', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        const at = now();

        await store.recordMissed(read, at);

        expect(plain(await store.find(read.id))).toEqual({ ...plain(read), lastMissedAt: at });
      });

      it('gives a lease back whoever holds it (release), over a change made since it was read', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.changeBehindOurBack(read.id, { leaseUntil: new Date(Date.now() + 5 * 60_000) });

        await store.release(read);

        expect(plain(await store.find(read.id))).not.toHaveProperty('leaseUntil');
      });
    });

    describe('the selections a run reads', () => {
      it('selects the rows due before the horizon and those awaiting work, and no others', async () => {
        const horizon = new Date(Date.now() + 48 * HOUR);
        const later = new Date(Date.now() + 240 * HOUR);
        await side.seed({ id: 'due', expirationDateTime: new Date(Date.now() + 5 * HOUR) });
        await side.seed({ id: 'overdue', expirationDateTime: new Date(Date.now() - 5 * HOUR) });
        await side.seed({ id: 'expired', expirationDateTime: later, state: 'expired' });
        await side.seed({
          id: 'reauthorize',
          expirationDateTime: later,
          pendingLifecycleEvent: 'reauthorizationRequired',
        });
        await side.seed({ id: 'short', expirationDateTime: later, shortLived: true });
        await side.seed({ id: 'later', expirationDateTime: later, partitionKey: 'other' });

        expect(await rowsOf(store.dueSelections(horizon))).toEqual(['due', 'expired', 'overdue', 'reauthorize']);
        expect(await rowsOf(store.shortLivedSelections(horizon))).toEqual([
          'due',
          'expired',
          'overdue',
          'reauthorize',
          'short',
        ]);
        expect(await rowsOf([store.pages()])).toEqual(['due', 'expired', 'later', 'overdue', 'reauthorize', 'short']);
        expect(await rowsOf([store.partitionPages('other')])).toEqual(['later']);
      });
    });

    describe('recreating and lifecycle events', () => {
      it('puts the successor in the place of the lost row, keeping a missed notification noted on it', async () => {
        const missedAt = new Date(Date.now() - HOUR);
        const lost = await side.seed({
          id: randomUUID(),
          expirationDateTime: new Date(Date.now() - HOUR),
          state: 'expired',
          lastMissedAt: missedAt,
        });
        const at = new Date();
        const marked = await store.beginRecreate(lost, at, new Date(Date.now() + 10 * 60_000));
        expect(marked).toMatchObject({ state: 'expired', recreateStartedAt: at });
        const created = {
          id: randomUUID(),
          expirationDateTime: new Date(Math.floor(Date.now() / 1000) * 1000 + 70 * HOUR),
        };

        await store.replace(marked, DEFINITION, created, at, false);

        expect(await store.find(lost.id)).toBeUndefined();
        expect(plain(await store.find(created.id))).toEqual({
          partitionKey: 'default',
          id: created.id,
          ...DEFINITION,
          expirationDateTime: created.expirationDateTime,
          state: 'active',
          consecutiveFailures: 0,
          lastRenewedAt: at,
          shortLived: false,
          replaces: lost.id,
          recreatedAt: at,
          lastMissedAt: missedAt,
        });
      });

      it('records a failed recreation as expired, keeping the mark when Graph may have created it', async () => {
        const lost = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() - HOUR) });
        const marked = await store.beginRecreate(lost, now(), new Date(Date.now() + 10 * 60_000));
        await store.recordRecreateFailure(
          marked,
          { at: now(), statusCode: 503, code: 'ServiceUnavailable', message: 'x' },
          true,
        );

        expect(plain(await store.find(lost.id))).toMatchObject({
          state: 'expired',
          consecutiveFailures: 1,
          recreateStartedAt: marked.recreateStartedAt,
        });
        expect(plain(await store.find(lost.id))).not.toHaveProperty('leaseUntil');
      });

      it('records a pending lifecycle event, and resolves with the row the next write can use at once', async () => {
        const read = await side.seed({ id: randomUUID(), expirationDateTime: new Date(Date.now() + 50 * HOUR) });

        const pending = await store.recordPending(read, 'reauthorizationRequired', now());

        expect(pending).toMatchObject({ pendingLifecycleEvent: 'reauthorizationRequired' });
        expect(await store.saveRenewal(pending, new Date(Date.now() + 70 * HOUR), now(), false)).toBe('saved');
        expect((await store.find(read.id))!.pendingLifecycleEvent).toBeUndefined();
      });
    });
  });
}
