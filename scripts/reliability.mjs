// `npm run reliability`: runs the whole test suite and rewrites the README's RELIABILITY section
// from the figures it records (test/support/reliabilityReporter.ts). Any platform, no shell syntax.
import { spawnSync } from 'node:child_process';

const result = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'], {
  stdio: 'inherit',
  env: { ...process.env, RELIABILITY_README: 'write' },
});
process.exit(result.status ?? 1);
