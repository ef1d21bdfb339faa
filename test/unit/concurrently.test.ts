import { describe, expect, it } from 'vitest';
import { forEachConcurrently, forEachWithinLimits } from '../../src/lib/concurrently';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bounded concurrency', () => {
  it('never has more than the limit in flight, and does every item', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, async (item) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight--;
      done.push(item);
    });
    expect(peak).toBe(4);
    expect(done.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('starts nothing new once told to stop', async () => {
    const started: number[] = [];
    await forEachConcurrently(
      [1, 2, 3, 4, 5],
      1,
      async (item) => void started.push(item),
      () => started.length >= 2,
    );
    expect(started).toEqual([1, 2]);
  });
});

describe('limits per mailbox', () => {
  const mailboxOfItem = (item: string) => (item.startsWith('-') ? undefined : item.split(':')[0]);

  it('keeps at most the per-key limit in flight for each key, while other keys go on', async () => {
    const items = [...Array.from({ length: 8 }, (_, i) => `a:${i}`), 'b:0', 'b:1', '-0', '-1'];
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    let total = 0;
    let totalPeak = 0;
    const started = await forEachWithinLimits(items, { limit: 6, perKey: 2, keyOf: mailboxOfItem }, async (item) => {
      const key = mailboxOfItem(item) ?? item;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      peak.set(key, Math.max(peak.get(key) ?? 0, inFlight.get(key)!));
      totalPeak = Math.max(totalPeak, ++total);
      await tick();
      inFlight.set(key, inFlight.get(key)! - 1);
      total--;
    });
    expect(started).toBe(12);
    expect(peak.get('a')).toBe(2);
    expect(peak.get('b')).toBe(2);
    expect(totalPeak).toBe(6);
  });

  it('lets a quiet mailbox overtake a busy one', async () => {
    const order: string[] = [];
    await forEachWithinLimits(
      ['a:0', 'a:1', 'a:2', 'b:0'],
      { limit: 4, perKey: 1, keyOf: mailboxOfItem },
      async (item) => {
        order.push(item);
        await tick();
      },
    );
    expect(order.indexOf('b:0')).toBeLessThan(order.indexOf('a:1'));
  });

  it('keeps the order of the items within a mailbox', async () => {
    const order: string[] = [];
    await forEachWithinLimits(['a:0', 'a:1', 'a:2'], { limit: 4, perKey: 1, keyOf: mailboxOfItem }, async (item) => {
      order.push(item);
      await tick();
    });
    expect(order).toEqual(['a:0', 'a:1', 'a:2']);
  });

  it('says how many it started when told to stop', async () => {
    let n = 0;
    const started = await forEachWithinLimits(
      ['a:0', 'a:1', 'b:0', 'c:0'],
      { limit: 1, perKey: 4, keyOf: mailboxOfItem },
      async () => void n++,
      () => n >= 3,
    );
    expect(started).toBe(3);
  });
});
