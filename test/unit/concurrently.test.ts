import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../src/renewal/concurrently';

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
    await forEachConcurrently([1, 2, 3, 4, 5], 1, async (item) => void started.push(item), () => started.length >= 2);
    expect(started).toEqual([1, 2]);
  });
});
