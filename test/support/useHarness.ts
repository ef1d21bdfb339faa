import { afterAll, beforeAll, beforeEach } from 'vitest';
import { Harness, type Infrastructure } from './harness';

/**
 * Starts one harness for the test file, empties it before each test and stops it at the end.
 * Returns it at once; it is usable from the first `beforeAll` on. `infrastructure`: an Azurite of the
 * file's own instead of the shared one (one a test may stop and start again).
 */
export function useHarness(
  settings: Record<string, string> = {},
  infrastructure?: () => Promise<Infrastructure>,
): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await Harness.start(settings, await infrastructure?.());
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
