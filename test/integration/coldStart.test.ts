import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../support/bundle';

// The cold-start rule (scripts/bundle.mjs): the host loads dist/index.js at start-up, and the SDKs
// (dist/sdk.js: @azure/data-tables, @azure/identity, @azure/storage-queue, the Graph client) only on a
// function's first use. The bundle is built by the project's own script into a folder of its own,
// with no node_modules to fall back on, and loaded by a process that plays the host's part.
const probe = fileURLToPath(new URL('../support/coldStartProbe.cjs', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await buildBundle();
});

const src = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every .ts file under `dir`, recursively, with its text. */
function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

/**
 * The name of every function src/functions registers, read from its source: the first argument of each
 * `app.<trigger>(...)` call, a string, or a constant
 * exported as one somewhere in src (the timers' names).
 */
function functionNamesInSource(): string[] {
  const constants = new Map<string, string>();
  for (const { text } of sources(src))
    for (const [, name, value] of text.matchAll(/export const (\w+) = '([^']+)'/g)) constants.set(name!, value!);
  const names: string[] = [];
  for (const { file, text } of sources(join(src, 'functions'))) {
    for (const [call, argument] of text.matchAll(/\bapp\.\w+\(\s*([^,)]*)/g)) {
      const literal = /^'([^']+)'$/.exec(argument!.trim());
      const name = literal ? literal[1] : constants.get(argument!.trim());
      if (!name) throw new Error(`${file}: cannot read the function name in ${call}`);
      names.push(name);
    }
  }
  return names.sort();
}

interface Loaded {
  registered: string[];
  atStart: string[];
  afterInvocation: string[];
  answer?: unknown;
}

/** Loads the bundle as the host would, then runs `invoke` (a script body) against the registered handlers. */
async function load(invoke = ''): Promise<Loaded> {
  const script = `
require('./dist/index.js');
const { registered, loadedFiles } = globalThis.coldStart;
const handler = (name) => registered.find((fn) => fn.name === name).handler;
const context = { invocationId: 'cold', functionName: 'cold', info() {}, warn() {}, error() {}, log() {}, trace() {}, debug() {} };
const atStart = loadedFiles();
(async () => {
  let answer;
  ${invoke}
  console.log(JSON.stringify({ registered: registered.map((fn) => fn.name), atStart, afterInvocation: loadedFiles(), answer }));
})().catch((error) => { console.error(error); process.exit(1); });
`;
  // A bare environment: no settings, as on a host that has not read any yet.
  const { stdout } = await promisify(execFile)(process.execPath, ['--require', probe, '-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Loaded;
}

describe('starting the host', () => {
  it('registers every function from dist/index.js without loading dist/sdk.js or any package', async () => {
    const { registered, atStart } = await load();

    // Exactly the functions the source registers, each once: none missing from src/index.ts, none twice.
    expect([...registered].sort()).toEqual(functionNamesInSource());
    expect(atStart).toEqual([join(dir, 'dist', 'index.js')]);
  });

  it('loads dist/sdk.js once a renewal timer fires (so the test above can fail)', async () => {
    const { atStart, afterInvocation, answer } = await load(`
      answer = await handler('renewSubscriptions')({ isPastDue: false, schedule: { adjustForDST: true } }, context).then(() => 'ran', (error) => error.message);`);

    expect(atStart).not.toContain(join(dir, 'dist', 'sdk.js'));
    expect(afterInvocation).toContain(join(dir, 'dist', 'sdk.js'));
    // Without settings the run cannot start: it says which one is missing.
    expect(answer).toMatch(/TABLES_CONNECTION_STRING|TABLES_ENDPOINT/);
  });

  it("answers Graph's validation request on the lifecycle endpoint without loading dist/sdk.js", async () => {
    const { afterInvocation, answer } = await load(`
      const request = { query: new URLSearchParams('validationToken=' + encodeURIComponent('Validation: cold start')), headers: { get: () => null } };
      const response = await handler('lifecycleNotifications')(request, context);
      answer = { status: response.status, body: response.body };`);

    expect(answer).toEqual({ status: 200, body: 'Validation: cold start' });
    expect(afterInvocation).toEqual([join(dir, 'dist', 'index.js')]);
  });
});
