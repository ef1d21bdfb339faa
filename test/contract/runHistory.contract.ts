import { beforeEach, describe, expect, it } from 'vitest';
import type { LearntMaxima, RunHistory } from '../../src/renewal/ports';
import type { RunTotals } from '../support/fakes/underTest';

const totals = (at: Date, outcome: RunTotals['outcome'], error?: string): RunTotals => ({
  finishedAt: at,
  outcome,
  checked: 3,
  due: 2,
  renewed: 1,
  failed: 1,
  recreated: 0,
  expired: 0,
  skipped: 0,
  invalid: 0,
  deferred: 0,
  queued: 0,
  ...(error ? { error } : {}),
});

/**
 * What the run history and the learnt maxima must do for the run and the status: run against the
 * in-memory fakes and the tables (src/storage/runTable.ts, learntMaximumTable.ts) on Azurite.
 */
export function describeRunHistoryContract(
  name: string,
  make: () => Promise<{ runs: RunHistory; learntMaxima: LearntMaxima }>,
): void {
  describe(`the run history contract: ${name}`, () => {
    let runs: RunHistory;
    let learntMaxima: LearntMaxima;
    beforeEach(async () => {
      ({ runs, learntMaxima } = await make());
    });

    it('keeps a started run as running, and its totals once it finished', async () => {
      const startedAt = new Date('2026-03-02T06:00:00Z');
      const id = await runs.start({ trigger: 'timer', startedAt, isPastDue: true });
      expect(await runs.latest()).toMatchObject({
        id,
        trigger: 'timer',
        startedAt,
        isPastDue: true,
        outcome: 'running',
      });
      expect(await runs.latestFinished()).toBeUndefined();

      await runs.finish(id, totals(new Date('2026-03-02T06:01:00Z'), 'partial'));

      expect(await runs.latestFinished()).toEqual({
        id,
        trigger: 'timer',
        startedAt,
        isPastDue: true,
        ...totals(new Date('2026-03-02T06:01:00Z'), 'partial'),
        error: undefined,
      });
    });

    it('reads the newest runs first, and the newest finished one apart from a run still going', async () => {
      const first = await runs.start({
        trigger: 'timer',
        startedAt: new Date('2026-03-01T06:00:00Z'),
        isPastDue: false,
      });
      await runs.finish(first, totals(new Date('2026-03-01T06:01:00Z'), 'failed', 'No Microsoft Graph token.'));
      const second = await runs.start({
        trigger: 'manual',
        startedAt: new Date('2026-03-02T06:00:00Z'),
        isPastDue: false,
      });

      expect((await runs.recent(5)).map((run) => run.id)).toEqual([second, first]);
      expect(await runs.recent(1)).toHaveLength(1);
      expect(await runs.latestFinished()).toMatchObject({
        id: first,
        outcome: 'failed',
        error: 'No Microsoft Graph token.',
      });
    });

    it('keeps one learnt maximum per kind, the last saved', async () => {
      const learnt = {
        key: 'outlook',
        maxMinutes: 4230,
        configuredMinutes: 10080,
        learntAt: new Date('2026-03-01T06:00:00Z'),
        subscriptionId: 's-1',
      };
      await learntMaxima.save(learnt);
      await learntMaxima.save({ ...learnt, maxMinutes: 2880, learntAt: new Date('2026-03-02T06:00:00Z') });
      await learntMaxima.save({ ...learnt, key: 'users/*/presence', maxMinutes: 50, configuredMinutes: 60 });

      const loaded = (await learntMaxima.load()).sort((a, b) => a.key.localeCompare(b.key));
      expect(loaded).toEqual([
        { ...learnt, maxMinutes: 2880, learntAt: new Date('2026-03-02T06:00:00Z') },
        { ...learnt, key: 'users/*/presence', maxMinutes: 50, configuredMinutes: 60 },
      ]);
    });
  });
}
