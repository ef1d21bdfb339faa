// `npm run build && node scripts/lifecycleColdStart.mjs`: how long a cold process takes to answer
// Graph's validation request on the lifecycle endpoint (Graph allows 10 s), against `node -e 0`.
// Each sample is a new process that loads the deployable bundle (dist/index.js) as the Functions
// host would, calls the real handler with a validation token, and exits: median of 11.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

// A folder of its own, as deployed: the bundle alone, no node_modules to fall back on. dist/sdk.js
// (the SDKs, loaded on first use) is there too, as deployed; the validation never loads it.
const dir = mkdtempSync(join(tmpdir(), 'lifecycle-cold-'));
for (const file of ['index.js', 'sdk.js'])
  if (existsSync(join('dist', file))) copyFileSync(join('dist', file), join(dir, file));

const answerValidation = `
const { lifecycleNotifications } = require('./index.js');
// The host hands the handler an HttpRequest; the validation path only reads its query. (The global
// Headers class is left alone: touching it loads Node's fetch implementation, which is not the app's cost.)
const request = { query: new URLSearchParams('validationToken=' + encodeURIComponent('Validation: cold start')), headers: { get: () => null } };
lifecycleNotifications(request, { invocationId: 'cold' }).then((answer) => {
  if (answer.status !== 200 || answer.body !== 'Validation: cold start') process.exit(1);
});`;

function median(args) {
  const samples = [];
  for (let i = 0; i < 11; i++) {
    const start = performance.now();
    // The same bare environment for both (NODE_EXTRA_CA_CERTS alone adds tens of ms to any start).
    execFileSync(process.execPath, args, { cwd: dir, stdio: 'ignore', env: { PATH: process.env.PATH } });
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[5];
}

try {
  const baseline = median(['-e', '0']);
  const validation = median(['-e', answerValidation]);
  console.log(`node -e 0:                                   ${baseline.toFixed(0)} ms`);
  console.log(
    `load the bundle + answer a validation request: ${validation.toFixed(0)} ms (${(validation / baseline).toFixed(2)}x)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
