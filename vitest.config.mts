import { defineConfig } from 'vitest/config';

/**
 * The two warnings `@azure/functions` prints outside the Functions host (node_modules/@azure/functions,
 * src/app.ts): expected in every test that imports a function file, and nothing else. Matched
 * exactly, line by line, so any other console output, a variant of these included, still shows.
 */
const SWITCHED_TO_TEST_MODE =
  'WARNING: Failed to detect the Azure Functions runtime. Switching "@azure/functions" package to test mode - not all features are supported.';
const SKIPPED_REGISTRATION =
  /^WARNING: Skipping call to register function "[^"\n]*" because the "@azure\/functions" package is in test mode\.$/;

/** True when every line of one console write (vitest may join several) is one of those two warnings. */
export function isTestModeWarning(content: string): boolean {
  const lines = content.replace(/\n$/, '').split('\n');
  return lines.every((line) => line === SWITCHED_TO_TEST_MODE || SKIPPED_REGISTRATION.test(line));
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Forked workers start after the global setup, so they inherit NODE_EXTRA_CA_CERTS.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Kept off the default reporter's output only: the reliability reporter's leak scan still reads them.
    onConsoleLog: (content) => !isTestModeWarning(content),
    // The default reporter names every test slower than this; at vitest's 300 ms, two thirds of a
    // passing run's output was that list (Azurite and HTTPS round trips), which hid what mattered.
    slowTestThreshold: 5_000,
    reporters: ['default', './test/support/reliabilityReporter.ts', './test/support/summaryReporter.ts'],
  },
});
