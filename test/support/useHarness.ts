import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Harness } from './harness';

/**
 * Starts one harness for the test file, empties it before each test and stops it at the end.
 * Returns it at once; it is usable from the first `beforeAll` on.
 */
export function useHarness(settings: Record<string, string> = {}): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await Harness.start(settings);
  });
  afterAll(async () => started?.stop());
  beforeEach(async () => started?.reset());
  return new Proxy({} as Harness, {
    get(_, property) {
      if (!started) throw new Error('The harness starts in beforeAll: use it inside a test or hook.');
      const value = Reflect.get(started, property, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}
