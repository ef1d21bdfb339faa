import { beforeEach, describe, expect, it } from 'vitest';
import { CredentialError } from '../../../src/renewal/errors';
import { unavailable } from '../../support/fakes/graphAnswers';
import { tableUnreachable } from '../../support/fakes/tableErrors';
import { runRenewal } from '../../support/fakes/underTest';
import { hoursFromNow, MINUTE, World } from './world';

let world: World;
beforeEach(() => {
  world = new World();
});

const run = (overrides?: Parameters<World['runInput']>[0]) => runRenewal(world.runInput(overrides));

describe('a renewal run', () => {
  it('renews the subscriptions that would expire before the next check plus the margin, and leaves the rest', async () => {
    world.outlook('in-5h', 5);
    // The next daily check is in 24 hours, the margin 36: due before 60 hours from now.
    world.outlook('in-59h', 59);
    world.outlook('in-61h', 61);

    const result = await run();

    // The store selects what may be due: the run checks only those.
    expect(result).toMatchObject({ outcome: 'succeeded', checked: 2, due: 2, renewed: 2, failed: 0 });
    expect(world.onGraph('in-5h')).toEqual(hoursFromNow(72));
    expect(world.onGraph('in-59h')).toEqual(hoursFromNow(72));
    expect(world.onGraph('in-61h')).toEqual(hoursFromNow(61));
    expect(world.graph.callsOf('renew', 'in-61h')).toEqual([]);
  });

  it('renews the others when one subscription fails, and says the run was partial', async () => {
    for (const id of ['a', 'b', 'c', 'd']) world.outlook(id, 5);
    world.graph.failNext('renew', () => unavailable(world.now()), { id: 'b' });

    const result = await run();

    expect(result).toMatchObject({ outcome: 'partial', due: 4, renewed: 3, failed: 1 });
    expect(['a', 'c', 'd'].map((id) => world.onGraph(id))).toEqual([
      hoursFromNow(72),
      hoursFromNow(72),
      hoursFromNow(72),
    ]);
    expect(world.store.current('b')).toMatchObject({ expirationDateTime: hoursFromNow(5), consecutiveFailures: 1 });
  });

  it('renews the others when the table fails for one subscription', async () => {
    world.outlook('a', 5);
    world.outlook('b', 5, { row: { partitionKey: 'elsewhere' } });
    world.store.failures.add('leaseMany', tableUnreachable('subscriptions'), { times: Infinity });
    world.store.failures.add('claim', tableUnreachable('subscriptions'), { key: 'b' });

    const result = await run();

    expect(result).toMatchObject({ outcome: 'partial', renewed: 1, failed: 1 });
    expect(world.log.events('tableWriteFailed')).toEqual([expect.objectContaining({ subscriptionId: 'b' })]);
  });

  it('skips a subscription whose lease another instance holds, and says until when', async () => {
    world.outlook('free', 5);
    world.outlook('held', 5, { row: { leaseUntil: new Date(world.time + 5 * MINUTE) } });

    const result = await run();

    expect(result).toMatchObject({ outcome: 'succeeded', due: 2, renewed: 1, skipped: 1 });
    expect(world.graph.callsOf('renew', 'held')).toEqual([]);
    expect(world.store.current('held')!.leaseUntil).toEqual(new Date(world.time + 5 * MINUTE));
  });

  it('records what it did in the run history and logs the same totals', async () => {
    world.outlook('due', 5);
    world.outlook('lost', 5, { onGraph: false });
    world.store.putMalformed({ partitionKey: 'default', rowKey: 'typed-by-hand', problem: 'resource is missing.' });

    const result = await run();

    const record = await world.runs.latest();
    expect(record).toEqual({
      id: result.id,
      trigger: 'timer',
      startedAt: world.now(),
      isPastDue: false,
      finishedAt: world.now(),
      outcome: 'partial',
      checked: 2,
      due: 2,
      renewed: 1,
      failed: 0,
      recreated: 1,
      expired: 0,
      skipped: 0,
      invalid: 1,
      deferred: 0,
      queued: 0,
      error: undefined,
    });
    expect(world.log.events('runFinished')).toEqual([
      expect.objectContaining({ runId: result.id, outcome: 'partial', renewed: 1, recreated: 1, invalid: 1 }),
    ]);
    expect(world.store.flagged).toEqual([
      { ok: false, partitionKey: 'default', rowKey: 'typed-by-hand', problem: 'resource is missing.' },
    ]);
  });

  it('says when nothing is due, and succeeds', async () => {
    world.outlook('later', 100);

    expect(await run()).toMatchObject({ outcome: 'succeeded', checked: 0, due: 0 });
    expect(world.log.events('noneDue')).toHaveLength(1);
  });

  it('fails without touching a row when no Graph token can be had', async () => {
    const row = world.outlook('due', 5);
    world.graph.failNext('ready', new CredentialError('No Microsoft Graph token from the managed identity.'));

    await expect(run()).resolves.toMatchObject({
      outcome: 'failed',
      error: 'No Microsoft Graph token from the managed identity.',
      renewed: 0,
    });

    expect(world.graph.callsOf('renew')).toEqual([]);
    expect(world.store.current('due')).toEqual(row);
  });

  it('hands what it has no time left for to the renewal queue, with the leases given back', async () => {
    world.outlook('a', 5);
    world.outlook('b', 6);

    const result = await run({ deadline: world.now() });

    expect(result).toMatchObject({ outcome: 'succeeded', due: 2, renewed: 0, queued: 2, deferred: 0 });
    expect(world.queue.messages).toEqual([
      { partitionKey: 'default', rowKey: 'a', runId: result.id },
      { partitionKey: 'default', rowKey: 'b', runId: result.id },
    ]);
    expect(world.store.current('a')!.leaseUntil).toBeUndefined();
  });

  it('leaves what it has no time for to the next run when the queue cannot take it, and says the run failed', async () => {
    world.outlook('a', 5);
    world.queue.failures.add('send', new Error('The queue service could not be reached.'));

    expect(await run({ deadline: world.now() })).toMatchObject({ outcome: 'failed', queued: 0, deferred: 1 });
    expect(world.log.events('budgetExhausted')).toEqual([
      expect.objectContaining({ deferred: 1, error: 'The queue service could not be reached.' }),
    ]);
  });

  it('does not run at all when the run history cannot be written', async () => {
    world.outlook('due', 5);
    world.runs.failures.add('start', new Error('The table service could not be reached.'));

    await expect(run()).rejects.toThrow('The table service could not be reached.');
    expect(world.graph.callsOf('renew')).toEqual([]);
    expect(world.log.events('runNotStarted')).toHaveLength(1);
  });
});
