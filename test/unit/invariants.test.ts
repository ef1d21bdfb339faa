import { describe, expect, it } from 'vitest';
import { findProblems, type Snapshot } from '../support/reliability/invariants';

const H = 3_600_000;
const now = Date.parse('2026-11-28T09:00:00Z');
const INBOX = "users/u1/mailfolders('inbox')/messages created https://consumer.example/notify";
const row = (id: string, extra: Partial<Snapshot['rows'][number]> = {}) => ({
  partitionKey: 'default',
  id,
  state: 'active',
  expiration: now + 6 * H,
  replaces: undefined,
  definition: INBOX,
  ...extra,
});
const snapshot = (rows: Snapshot['rows'], alive: string[], expired: string[] = []): Snapshot => ({
  rows,
  onGraph: new Set(alive),
  expiredOnGraph: new Set(expired),
  perDefinition: new Map(alive.length > 0 ? [[INBOX, alive.length]] : []),
});
const counts = (before: Snapshot, after: Snapshot) => {
  const { details, ...rest } = findProblems(before, after);
  return rest;
};

describe('the invariants the fault suite checks after every scenario', () => {
  it('find nothing wrong in a renewal', () => {
    expect(
      findProblems(snapshot([row('A')], ['A']), snapshot([row('A', { expiration: now + 70 * H })], ['A'])).details,
    ).toEqual([]);
  });

  it('see a subscription that ran out on Graph even after its row was marked expired', () => {
    expect(counts(snapshot([row('A')], ['A']), snapshot([row('A', { state: 'expired' })], [], ['A']))).toMatchObject({
      expiredWhileRenewable: 1,
    });
  });

  it('see a subscription that ran out and was then recreated (the notifications in between are lost)', () => {
    const after = snapshot([row('B', { replaces: 'A', expiration: now + 70 * H })], ['B'], ['A']);
    expect(counts(snapshot([row('A')], ['A']), after)).toMatchObject({ expiredWhileRenewable: 1, rowsLost: 0 });
  });

  it('leave alone what the scenario says Graph refused for good', () => {
    const after = snapshot([row('A', { state: 'expired' })], [], ['A']);
    expect(findProblems(snapshot([row('A')], ['A']), after, { unrenewable: ['A'] }).details).toEqual([]);
  });

  it('see a recreation whose predecessor is still alive on Graph: two subscriptions for one definition', () => {
    expect(counts(snapshot([row('A')], ['A']), snapshot([row('B', { replaces: 'A' })], ['A', 'B']))).toMatchObject({
      graphDuplicates: 1,
    });
  });

  it('see a subscription created meanwhile that no row names', () => {
    expect(counts(snapshot([row('A')], ['A']), snapshot([row('A')], ['A', 'X']))).toMatchObject({ graphDuplicates: 1 });
  });

  it('see a row lost, a row duplicated and an expiration moved back', () => {
    const before = snapshot([row('A'), row('B')], ['A', 'B']);
    const after = snapshot(
      [row('B', { expiration: now + H }), row('B', { partitionKey: 'other', expiration: now + H })],
      ['A', 'B'],
    );
    expect(counts(before, after)).toMatchObject({ rowsLost: 1, rowsDuplicated: 1, expirationsMovedBack: 2 });
  });
});
