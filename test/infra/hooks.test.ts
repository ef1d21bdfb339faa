import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The azd hooks run here for real (sh); only the az, azd and curl they call are stand-ins, since
// those CLIs and Azure are not here. Each stand-in records its arguments.
const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

function standIns(behaviour: { keysSetFailures?: number } = {}) {
  const bin = mkdtempSync(join(tmpdir(), 'hook-cli-'));
  const calls = join(bin, 'calls.log');
  writeFileSync(calls, '');
  const script = (body: string) => `#!/bin/sh\necho "$(basename "$0") $*" >> "${calls}"\n${body}\n`;
  const cli: Record<string, string> = {
    az: script(`
case "$*" in
  *"keys set"*)
    count=$(cat "${bin}/keys-set-count" 2>/dev/null || echo 0); echo $((count + 1)) > "${bin}/keys-set-count"
    [ "$count" -lt ${behaviour.keysSetFailures ?? 0} ] && { echo "host not ready" >&2; exit 1; }
    exit 0 ;;
  *"keys list"*) echo "MASTER-KEY-123" ;;
esac`),
    azd: script(''),
    curl: script(''),
  };
  for (const [name, body] of Object.entries(cli)) {
    writeFileSync(join(bin, name), body);
    chmodSync(join(bin, name), 0o755);
  }
  return { bin, calls: () => readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean) };
}

async function hook(name: string, bin: string, env: Record<string, string>) {
  return run('sh', [join(root, 'infra/hooks', name)], { env: { PATH: `${bin}:${process.env.PATH}`, RETRY_SECONDS: '0', ...env } })
    .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }))
    .catch((error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }));
}

const deployed = {
  AZURE_RESOURCE_GROUP: 'rg-dev',
  AZURE_FUNCTION_APP_NAME: 'func-abc',
  AVAILABILITY_TEST_KEY: 'availability-key-456',
  STATUS_URL: 'https://func-abc.azurewebsites.net/api/webhooks/scheduler/status',
};

describe('the postdeploy hook', () => {
  it('puts the availability key on the app, retrying while the host starts, then runs the renewal once', async () => {
    const cli = standIns({ keysSetFailures: 2 });
    const { code, output } = await hook('postdeploy.sh', cli.bin, deployed);

    expect(code).toBe(0);
    const calls = cli.calls();
    const keySets = calls.filter((c) => c.includes('keys set'));
    expect(keySets).toHaveLength(3);
    expect(keySets[0]).toBe(
      'az functionapp keys set --resource-group rg-dev --name func-abc --key-type functionKeys --key-name availability-test --key-value availability-key-456 --output none',
    );
    const post = calls.find((c) => c.startsWith('curl'))!;
    expect(post).toContain('--request POST');
    expect(post).toContain('--header x-functions-key: MASTER-KEY-123');
    expect(post.endsWith('https://func-abc.azurewebsites.net/admin/functions/renewSubscriptions')).toBe(true);
    // Keys are passed to the CLIs, never printed.
    expect(output).not.toContain('availability-key-456');
    expect(output).not.toContain('MASTER-KEY-123');
  });

  it('gives up with a clear error when the host never comes up', async () => {
    const cli = standIns({ keysSetFailures: 100 });
    const { code, output } = await hook('postdeploy.sh', cli.bin, { ...deployed, RETRY_ATTEMPTS: '3' });
    expect(code).not.toBe(0);
    expect(output).toContain('Gave up after 3 attempts: az');
    expect(cli.calls().some((c) => c.startsWith('curl'))).toBe(false);
  });

  it('says what to do when provisioning has not run', async () => {
    const cli = standIns();
    const { code, output } = await hook('postdeploy.sh', cli.bin, { ...deployed, AVAILABILITY_TEST_KEY: '' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/AVAILABILITY_TEST_KEY: run azd provision first/);
  });
});

describe('the preprovision hook', () => {
  it('makes a random availability key once per environment', async () => {
    const cli = standIns();
    expect((await hook('preprovision.sh', cli.bin, {})).code).toBe(0);
    const [set] = cli.calls();
    expect(set).toMatch(/^azd env set AVAILABILITY_TEST_KEY [0-9a-f]{64}$/);
  });

  it('keeps the key the environment already has', async () => {
    const cli = standIns();
    expect((await hook('preprovision.sh', cli.bin, { AVAILABILITY_TEST_KEY: 'existing' })).code).toBe(0);
    expect(cli.calls()).toEqual([]);
  });
});
