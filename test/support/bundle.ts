import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds the deployable bundle with the project's own bundle script into a folder of its own (`dir`,
 * or a new one), away from node_modules, as it lands on the Function App. Returns that folder (the
 * bundle is dist/index.js).
 */
export async function buildBundle(dir = mkdtempSync(join(tmpdir(), 'renewal-package-'))): Promise<string> {
  await run(process.execPath, ['scripts/bundle.mjs', join(dir, 'dist', 'index.js')], { cwd: root });
  return dir;
}

/** Runs `script` with Node in `dir`, where only the bundle is; resolves with its output. */
export async function runInPackage(dir: string, script: string, env: NodeJS.ProcessEnv = process.env) {
  return run(process.execPath, ['-e', script], { cwd: dir, env, timeout: 60_000 });
}
