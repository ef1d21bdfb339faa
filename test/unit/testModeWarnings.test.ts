import { app } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import config, { isTestModeWarning } from '../../vitest.config.mjs';

describe("the filter of @azure/functions' test-mode warnings (vitest.config.mts)", () => {
  it('drops exactly what the library prints when a function is registered outside the host', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    app.http('aFunctionOfThisTest', { handler: async () => ({ status: 204 }) });
    app.timer('anotherOne', { schedule: '0 0 9 * * *', handler: async () => undefined });
    const printed = warn.mock.calls.map((call) => `${call.join(' ')}\n`);
    warn.mockRestore();
    // Both kinds: this file's worker had registered nothing before.
    expect(printed.map((content) => content.slice(0, 30))).toEqual([
      'WARNING: Failed to detect the ',
      'WARNING: Skipping call to regi',
      'WARNING: Skipping call to regi',
    ]);
    for (const content of printed) expect(isTestModeWarning(content), content).toBe(true);
    expect(isTestModeWarning(printed.join(''))).toBe(true);
  });

  it('is what the configuration hands vitest: false drops a console write from the output', () => {
    const skipped =
      'WARNING: Skipping call to register function "health" because the "@azure/functions" package is in test mode.\n';
    expect(config.test?.onConsoleLog?.(skipped, 'stderr', undefined)).toBe(false);
    expect(config.test?.onConsoleLog?.('Renewal run failed\n', 'stderr', undefined)).toBe(true);
  });

  it('keeps anything else, and a write that joins a warning with anything else', () => {
    const skipped =
      'WARNING: Skipping call to register function "health" because the "@azure/functions" package is in test mode.';
    expect(isTestModeWarning(`${skipped}\n`)).toBe(true);
    for (const other of [
      'WARNING: something else',
      `${skipped} And more.`,
      `  ${skipped}`,
      'WARNING: Skipping call to register function "health" because the "@azure/functions" package is in test mode',
      'WARNING: Skipping call to register preInvocation hook because the "@azure/functions" package is in test mode.',
      `${skipped}\nRenewal run failed: 3 checked`,
      '',
    ]) {
      expect(isTestModeWarning(other), other).toBe(false);
    }
  });
});
