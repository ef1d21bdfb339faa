import { describe, expect, it } from 'vitest';
import { type Call, machine, type Machine, type Route, runHook } from '../support/hookStandIns';

// The postdeploy hook, run with sh on a machine that has azd (signed in or not), curl and the POSIX
// tools, and no az: the stand-ins play azd, Azure Resource Manager and the Function App's host.
const TOKEN = 'ARM-TOKEN-789';
const MASTER = 'MASTER-KEY-123';
const arm = 'https://management.azure.test';
const appId = '/subscriptions/6a1f9c1e-0000-4d5e-9b8e-1c2d3e4f5a6b/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-abc';
const host = 'https://func-abc.azurewebsites.test';

/** What azd passes the hook after `azd provision`: the infra's outputs, among its environment's values. */
const provisioned = {
  AZURE_ENV_NAME: 'dev',
  AZURE_RESOURCE_MANAGER_ENDPOINT: `${arm}/`,
  AZURE_FUNCTION_APP_ID: appId,
  HEALTH_URL: `${host}/api/webhooks/health`,
};

/** `azd auth token --output json` as azd prints it (cli/azd/pkg/contracts/auth_token.go, indented JSON). */
const signedIn = `{\n  "token": "${TOKEN}",\n  "expiresOn": "2026-01-15T10:00:00Z"\n}`;

const listKeys = (...answers: Route['answers']): Route => ({ method: 'POST', url: `${arm}${appId}/host/default/listkeys?api-version=2024-04-01`, answers });
const keys = { status: 200, body: JSON.stringify({ masterKey: MASTER, functionKeys: { default: 'FUNCTION-KEY-1' }, systemKeys: {} }) };
const revokeOldKey = (...answers: Route['answers']): Route => ({
  method: 'DELETE',
  url: `${arm}${appId}/host/default/functionKeys/availability-test?api-version=2024-04-01`,
  answers,
});
const runNow = (...answers: Route['answers']): Route => ({ method: 'POST', url: `${host}/admin/functions/renewSubscriptions`, answers });

/** A deployed app whose host is up: ARM gives its keys, the host takes the run. */
const upAndRunning = [listKeys(keys), revokeOldKey({ status: 204 }), runNow({ status: 202 })];

async function postdeploy(setup: Machine, env: Record<string, string> = provisioned) {
  const cli = machine(setup);
  const result = await runHook('postdeploy.sh', cli.bin, env);
  return { ...result, calls: cli.calls() };
}
const curls = (calls: Call[]) => calls.filter((call) => call.cli === 'curl');
const to = (calls: Call[], url: string) => curls(calls).filter((call) => call.url?.startsWith(url));

describe('the postdeploy hook', () => {
  it("starts the first renewal run with the master key Azure Resource Manager gives for azd's token", async () => {
    const { code, calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });

    expect(code).toBe(0);
    expect(calls.find((call) => call.cli === 'azd')?.argv).toEqual(['auth', 'token', '--output', 'json']);
    const [listing] = to(calls, `${arm}${appId}/host/default/listkeys`);
    expect(listing).toMatchObject({ method: 'POST', headers: [`Authorization: Bearer ${TOKEN}`] });
    const [run] = to(calls, `${host}/admin/functions/renewSubscriptions`);
    expect(run).toMatchObject({ method: 'POST', data: '{}' });
    expect(run!.headers).toContain(`x-functions-key: ${MASTER}`);
  });

  it('needs no az: none is on the machine', async () => {
    const { code, output } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(code).toBe(0);
    expect(output).toContain('First renewal run started.');
  });

  it('never calls az, even where one is installed and signed out', async () => {
    const { code, calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning, az: true });
    expect(code).toBe(0);
    expect(calls.filter((call) => call.cli === 'az')).toEqual([]);
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(1);
  });

  it('passes the token and the key to curl on stdin, never on a command line, and never prints them', async () => {
    const { output, calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(curls(calls).length).toBeGreaterThan(0);
    for (const call of curls(calls)) {
      expect(call.argv.join(' ')).not.toMatch(new RegExp(`${TOKEN}|${MASTER}`));
      expect(call.config).toMatch(/^header = "(Authorization: Bearer|x-functions-key: )/);
    }
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(MASTER);
  });

  it('revokes the host key earlier versions put in the availability test', async () => {
    const { calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(to(calls, `${arm}${appId}/host/default/functionKeys/availability-test`)).toEqual([
      expect.objectContaining({ method: 'DELETE', headers: [`Authorization: Bearer ${TOKEN}`] }),
    ]);
  });

  it('takes a 404 for that old key as already gone', async () => {
    const { output, calls } = await postdeploy({ azdToken: signedIn, routes: [listKeys(keys), revokeOldKey({ status: 404 }), runNow({ status: 202 })] });
    expect(to(calls, `${arm}${appId}/host/default/functionKeys`)).toHaveLength(1);
    expect(output).not.toContain('Could not revoke');
  });

  it('waits while the host starts: ARM cannot give its keys, then can', async () => {
    const { code, calls } = await postdeploy({ azdToken: signedIn, routes: [listKeys({ status: 503 }, { status: 0 }, keys), revokeOldKey({ status: 204 }), runNow({ status: 202 })] });
    expect(code).toBe(0);
    expect(to(calls, `${arm}${appId}/host/default/listkeys`)).toHaveLength(3);
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(1);
  });

  it('waits while the host starts: it refuses the run, then takes it', async () => {
    const { code, calls } = await postdeploy({ azdToken: signedIn, routes: [listKeys(keys), revokeOldKey({ status: 204 }), runNow({ status: 502 }, { status: 202 })] });
    expect(code).toBe(0);
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(2);
  });
});

describe('the postdeploy hook, when something is missing, says what to run and does not fail azd up', () => {
  it('azd is signed out: sign in, then run the hook again', async () => {
    const { code, output, calls } = await postdeploy({ routes: upAndRunning });
    expect(code).toBe(0);
    expect(output).toContain('sign in with: azd auth login');
    expect(output).toContain('When that is done, run: azd hooks run postdeploy');
    expect(curls(calls)).toEqual([]);
  });

  it('the environment comes from an older infra/: provision again', async () => {
    const { HEALTH_URL: _, ...older } = provisioned;
    const { code, output, calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning }, older);
    expect(code).toBe(0);
    expect(output).toContain('HEALTH_URL is not in the azd environment');
    expect(output).toContain('Run: azd provision');
    expect(calls).toEqual([]);
  });

  it('curl is not installed: install it', async () => {
    const { code, output } = await postdeploy({ azdToken: signedIn, noCurl: true });
    expect(code).toBe(0);
    expect(output).toContain('curl is not installed');
  });

  it('ARM never gives the keys: says so with the HTTP status, starts nothing', async () => {
    const { code, output, calls } = await postdeploy({ azdToken: signedIn, routes: [listKeys({ status: 403 })] }, { ...provisioned, RETRY_ATTEMPTS: '3' });
    expect(code).toBe(0);
    expect(output).toContain("did not give the app's keys (HTTP 403 after 3 tries; your account needs Contributor");
    expect(to(calls, host)).toEqual([]);
  });

  it('the host never takes the run: says so with the HTTP status', async () => {
    const { code, output } = await postdeploy(
      { azdToken: signedIn, routes: [listKeys(keys), revokeOldKey({ status: 204 }), runNow({ status: 503 })] },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(code).toBe(0);
    expect(output).toContain('The host did not start the renewal run (HTTP 503 after 2 tries)');
  });

  it('the old key cannot be revoked: says where to delete it, and goes on', async () => {
    const { code, output, calls } = await postdeploy(
      { azdToken: signedIn, routes: [listKeys(keys), revokeOldKey({ status: 500 }), runNow({ status: 202 })] },
      { ...provisioned, RETRY_ATTEMPTS: '1' },
    );
    expect(code).toBe(0);
    expect(output).toContain("Could not revoke the old host key 'availability-test' (HTTP 500)");
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(1);
  });
});
