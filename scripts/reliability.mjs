// `npm run reliability`: runs the whole test suite, then writes the figures it measured
// (test-output/reliability-figures.md) into docs/reliability.md. Any platform, no shell syntax.
import { spawnSync } from 'node:child_process';

const suite = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run'], { stdio: 'inherit' });
if (suite.status !== 0) process.exit(suite.status ?? 1);
const write = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/checkFigures.ts', '--write'], {
  stdio: 'inherit',
});
process.exit(write.status ?? 1);
