import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // Forked workers start after the global setup, so they inherit NODE_EXTRA_CA_CERTS.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/support/reliabilityReporter.ts', './test/support/summaryReporter.ts'],
  },
});
