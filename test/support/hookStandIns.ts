import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// The azd hooks run for real (sh); the CLIs they call (azd, curl, and an az they must not call) are
// stand-ins, since those CLIs and Azure are not here. The stand-ins answer from a script of answers
// and record each call; nothing leaves the machine.

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

/** One HTTP answer the stand-in curl gives; status 0 plays a connection that failed. */
export interface Answer {
  status: number;
  body?: string;
}

/** The answers for a method and URL, given in turn; the last one repeats. */
export interface Route {
  method: string;
  url: string;
  answers: Answer[];
}

export interface Machine {
  /** What `azd auth token --output json` prints; undefined: azd is signed out. */
  azdToken?: string;
  /** The answers of the stand-in curl; a call to anything else gets a 404. */
  routes?: Route[];
  /** Put a signed-out az on the machine, to show it is never called. */
  az?: boolean;
  /** Leave curl off the machine. */
  noCurl?: boolean;
}

/** A call the hook made to one of the stand-ins. */
export interface Call {
  cli: string;
  /** The command line, as `ps` would show it. */
  argv: string[];
  /** curl only: what it read from stdin with --config -. */
  config?: string;
  method?: string;
  url?: string;
  /** curl only: every header, from the command line and from the config. */
  headers?: string[];
  data?: string;
}

/**
 * The POSIX tools the sh hooks may use; the machine has these and the stand-ins, nothing else (no
 * az, no jq, no node): a hook that needs more fails its tests.
 */
const TOOLS = ['sed', 'tail', 'head', 'sleep', 'cat', 'mktemp', 'rm'];

function which(tool: string): string {
  const found = lookUp(tool);
  if (!found) throw new Error(`${tool} is not on this machine's PATH`);
  return found;
}

function lookUp(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (existsSync(join(dir, tool))) return join(dir, tool);
  return undefined;
}

/**
 * The shell the hooks run with here: dash where it is installed (Debian's and Ubuntu's /bin/sh), a
 * strict POSIX shell that fails on bashisms, so a hook that works only where sh is bash (macOS,
 * some CI images) fails its tests; else this machine's sh.
 */
export const HOOK_SHELL = lookUp('dash') ?? which('sh');

const CURL = `
const { appendFileSync, readFileSync } = require('node:fs');
const [calls, routesFile, counters] = process.argv.slice(2, 5);
const args = process.argv.slice(5);
const call = { cli: 'curl', argv: args, headers: [], method: 'GET' };
let writeOut = '';
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--config' && args[i + 1] === '-') {
    call.config = readFileSync(0, 'utf8');
    for (const [, header] of call.config.matchAll(/^header = "(.*)"$/gm)) call.headers.push(header);
    i++;
  } else if (arg === '--header' || arg === '-H') call.headers.push(args[++i]);
  else if (arg === '--request' || arg === '-X') call.method = args[++i];
  else if (arg === '--data' || arg === '--data-binary') {
    const value = args[++i];
    call.data = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
    if (call.method === 'GET') call.method = 'POST';
  } else if (arg === '--write-out') writeOut = args[++i];
  else if (/^https?:/.test(arg)) call.url = arg;
}
appendFileSync(calls, JSON.stringify(call) + '\\n');
const routes = JSON.parse(readFileSync(routesFile, 'utf8'));
const index = routes.findIndex((r) => r.method === call.method && r.url === call.url);
let answer = { status: 404, body: '' };
if (index >= 0) {
  let seen = {};
  try { seen = JSON.parse(readFileSync(counters, 'utf8')); } catch {}
  const n = seen[index] ?? 0;
  seen[index] = n + 1;
  require('node:fs').writeFileSync(counters, JSON.stringify(seen));
  answer = routes[index].answers[Math.min(n, routes[index].answers.length - 1)];
}
process.stdout.write(answer.status === 0 ? '' : answer.body ?? '');
process.stdout.write(writeOut.replace(/\\\\n/g, '\\n').replace('%{http_code}', String(answer.status).padStart(3, '0')));
if (answer.status === 0) { process.stderr.write('curl: (7) Failed to connect\\n'); process.exit(7); }
`;

/** A machine to run a hook on: a PATH of stand-ins and the POSIX tools, and what the stand-ins say. */
export function machine(setup: Machine = {}) {
  const bin = mkdtempSync(join(tmpdir(), 'hook-machine-'));
  const calls = join(bin, 'calls.jsonl');
  writeFileSync(calls, '');
  writeFileSync(join(bin, 'routes.json'), JSON.stringify(setup.routes ?? []));
  for (const tool of TOOLS) symlinkSync(which(tool), join(bin, tool));

  const record = (cli: string) =>
    `printf '%s\\n' "$(${JSON.stringify(process.execPath)} -e 'console.log(JSON.stringify({ cli: process.argv[1], argv: process.argv.slice(2) }))' ${cli} "$@")" >> "${calls}"`;
  const azd = `#!/bin/sh
${record('azd')}
case "$1 $2" in
  "auth token")
    ${setup.azdToken === undefined ? `echo 'ERROR: not logged in, run \`azd auth login\` to login' >&2; exit 1` : `cat <<'JSON'\n${setup.azdToken}\nJSON`}
    ;;
esac
`;
  writeFileSync(join(bin, 'azd'), azd);
  chmodSync(join(bin, 'azd'), 0o755);
  if (setup.az) {
    writeFileSync(
      join(bin, 'az'),
      `#!/bin/sh\n${record('az')}\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`,
    );
    chmodSync(join(bin, 'az'), 0o755);
  }
  if (!setup.noCurl) {
    writeFileSync(join(bin, 'curl.js'), CURL);
    writeFileSync(
      join(bin, 'curl'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "${join(bin, 'curl.js')}" "${calls}" "${join(bin, 'routes.json')}" "${join(bin, 'counters.json')}" "$@"\n`,
    );
    chmodSync(join(bin, 'curl'), 0o755);
  }

  return {
    bin,
    calls: (): Call[] =>
      readFileSync(calls, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Call),
  };
}

/** Runs infra/hooks/<name> with HOOK_SHELL on `bin` alone, as azd would with the environment's values. */
export async function runHook(name: string, bin: string, env: Record<string, string>) {
  return run(HOOK_SHELL, [join(root, 'infra/hooks', name)], { env: { PATH: bin, RETRY_SECONDS: '0', ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }))
    .catch((error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }));
}
