import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../support/bicep';
import { type Call, HOOK_SHELL, type Machine, machine, type Route, runHook } from '../support/hookStandIns';

// The postdeploy hook, run with sh on a machine that has azd (signed in or not), curl and the POSIX
// tools, and no az: the stand-ins play azd, Azure Resource Manager and the Function App's host.
const TOKEN = 'ARM-TOKEN-789';
const MASTER = 'MASTER-KEY-123';
const arm = 'https://management.azure.test';
const appId =
  '/subscriptions/6a1f9c1e-0000-4d5e-9b8e-1c2d3e4f5a6b/resourceGroups/rg-dev/providers/Microsoft.Web/sites/func-abc';
const host = 'https://func-abc.azurewebsites.test';
const testId =
  '/subscriptions/6a1f9c1e-0000-4d5e-9b8e-1c2d3e4f5a6b/resourceGroups/rg-dev/providers/Microsoft.Insights/webtests/webt-status-abc';

/** What azd passes the hook after `azd provision`: the infra's outputs, among its environment's values. */
const provisioned = {
  AZURE_ENV_NAME: 'dev',
  AZURE_RESOURCE_MANAGER_ENDPOINT: `${arm}/`,
  AZURE_FUNCTION_APP_ID: appId,
  AVAILABILITY_TEST_ID: testId,
  HEALTH_URL: `${host}/api/webhooks/health`,
};

/** `azd auth token --output json` as azd prints it (cli/azd/pkg/contracts/auth_token.go, indented JSON). */
const signedIn = `{\n  "token": "${TOKEN}",\n  "expiresOn": "2026-01-15T10:00:00Z"\n}`;

const listKeys = (...answers: Route['answers']): Route => ({
  method: 'POST',
  url: `${arm}${appId}/host/default/listkeys?api-version=2024-04-01`,
  answers,
});
const keys = {
  status: 200,
  body: JSON.stringify({ masterKey: MASTER, functionKeys: { default: 'FUNCTION-KEY-1' }, systemKeys: {} }),
};
const revokeOldKey = (...answers: Route['answers']): Route => ({
  method: 'DELETE',
  url: `${arm}${appId}/host/default/functionKeys/availability-test?api-version=2024-04-01`,
  answers,
});
const runNow = (...answers: Route['answers']): Route => ({
  method: 'POST',
  url: `${host}/admin/functions/renewSubscriptions`,
  answers,
});
const health = (...answers: Route['answers']): Route => ({
  method: 'GET',
  url: `${host}/api/webhooks/health`,
  answers,
});
const healthy = { status: 200, body: '{"healthy":true}' };
const unhealthy = { status: 503, body: '{"healthy":false}' };

/** The web test as ARM returns it (Web Tests - Get), as provisioning left it: off. */
const webTest = (enabled: boolean) =>
  JSON.stringify({
    id: testId,
    name: 'webt-status-abc',
    type: 'microsoft.insights/webtests',
    location: 'westeurope',
    tags: { 'azd-env-name': 'dev', 'hidden-link:/subscriptions/…/components/appi-abc': 'Resource' },
    kind: 'standard',
    properties: {
      SyntheticMonitorId: 'webt-status-abc',
      Name: 'Renewal health',
      Enabled: enabled,
      Frequency: 300,
      Kind: 'standard',
      provisioningState: 'Succeeded',
    },
  });
const readTest = (...answers: Route['answers']): Route => ({
  method: 'GET',
  url: `${arm}${testId}?api-version=2022-06-15`,
  answers,
});
const writeTest = (...answers: Route['answers']): Route => ({
  method: 'PUT',
  url: `${arm}${testId}?api-version=2022-06-15`,
  answers,
});

/** A deployed app whose host is up: ARM gives its keys, the host takes the run, the app answers healthy. */
const upAndRunning = [
  listKeys(keys),
  revokeOldKey({ status: 204 }),
  runNow({ status: 202 }),
  health(healthy),
  readTest({ status: 200, body: webTest(false) }),
  writeTest({ status: 200, body: webTest(true) }),
];
/** The same app, with some answers replaced. */
const upAndRunningBut = (...replaced: Route[]) => [
  ...replaced,
  ...upAndRunning.filter((r) => !replaced.some((x) => x.method === r.method && x.url === r.url)),
];

async function postdeploy(setup: Machine, env: Record<string, string> = provisioned) {
  const cli = machine(setup);
  const result = await runHook('postdeploy.sh', cli.bin, env);
  return { ...result, calls: cli.calls() };
}
const curls = (calls: Call[]) => calls.filter((call) => call.cli === 'curl');
const to = (calls: Call[], url: string) => curls(calls).filter((call) => call.url?.startsWith(url));

describe('the shell the hooks are tested with', () => {
  it.runIf(['/bin/dash', '/usr/bin/dash'].some((path) => existsSync(path)))(
    'is dash where it is installed, so a bashism fails the tests',
    () => {
      expect(HOOK_SHELL).toMatch(/\/dash$/);
      expect(() => execFileSync(HOOK_SHELL, ['-c', '[[ -n x ]] && local=1'], { stdio: 'ignore' })).toThrow();
    },
  );
});

describe('the postdeploy hook', () => {
  it("starts the first renewal run with the master key Azure Resource Manager gives for azd's token", async () => {
    const { code, calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });

    expect(code).toBe(0);
    expect(calls.find((call) => call.cli === 'azd')?.argv).toEqual(['auth', 'token', '--output', 'json']);
    const [listing] = to(calls, `${arm}${appId}/host/default/listkeys`);
    expect(listing).toMatchObject({
      method: 'POST',
      headers: [`Authorization: Bearer ${TOKEN}`, 'Content-Type: application/json'],
      data: '{}',
    });
    const [run] = to(calls, `${host}/admin/functions/renewSubscriptions`);
    expect(run).toMatchObject({ method: 'POST', data: '{}' });
    expect(run!.headers).toContain(`x-functions-key: ${MASTER}`);
  });

  it('needs no az: none is on the machine', async () => {
    const { code, output } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(code).toBe(0);
    expect(output).toContain('First renewal run started.');
    expect(output).toContain('the availability test is on');
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
    const secret = new RegExp(`${TOKEN}|${MASTER}`);
    for (const call of curls(calls)) expect(call.argv.join(' ')).not.toMatch(secret);
    const carrying = curls(calls).filter((call) => call.headers!.some((header) => secret.test(header)));
    expect(carrying.map((call) => call.config)).toEqual(carrying.map(() => expect.stringMatching(secret)));
    expect(carrying.length).toBeGreaterThanOrEqual(3);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(MASTER);
  });

  it('gives every call 30 s at most, so a call that hangs is one failed try, not a hook that never ends', async () => {
    const { calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(curls(calls).length).toBeGreaterThanOrEqual(6);
    for (const call of curls(calls)) expect(call.argv.join(' ')).toContain('--max-time 30');
  });

  it('revokes the host key earlier versions put in the availability test', async () => {
    const { calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(to(calls, `${arm}${appId}/host/default/functionKeys/availability-test`)).toEqual([
      expect.objectContaining({ method: 'DELETE', headers: [`Authorization: Bearer ${TOKEN}`] }),
    ]);
  });

  it('takes a 404 for that old key as already gone', async () => {
    const { output, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(revokeOldKey({ status: 404 })),
    });
    expect(to(calls, `${arm}${appId}/host/default/functionKeys`)).toHaveLength(1);
    expect(output).not.toContain('Could not revoke');
  });

  it('waits while the host starts: ARM cannot give its keys, then can', async () => {
    const { code, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(listKeys({ status: 503 }, { status: 0 }, keys)),
    });
    expect(code).toBe(0);
    expect(to(calls, `${arm}${appId}/host/default/listkeys`)).toHaveLength(3);
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(1);
  });

  it('waits while the host starts: it refuses the run, then takes it', async () => {
    const { code, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(runNow({ status: 502 }, { status: 202 })),
    });
    expect(code).toBe(0);
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(2);
  });
});

describe('the postdeploy hook turns the availability test on once the first run was taken and the wait for health is over', () => {
  it('turns it on after the health answered 200, not before', async () => {
    const { code, output, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(health(unhealthy, unhealthy, healthy)),
    });
    expect(code).toBe(0);
    const order = curls(calls).map((call) => `${call.method} ${call.url!.replace(/\?.*/, '')}`);
    expect(order.slice(-5)).toEqual([
      `GET ${host}/api/webhooks/health`,
      `GET ${host}/api/webhooks/health`,
      `GET ${host}/api/webhooks/health`,
      `GET ${arm}${testId}`,
      `PUT ${arm}${testId}`,
    ]);
    expect(output).toContain(`the availability test is on, calling ${host}/api/webhooks/health every 5 minutes`);
  });

  it('writes back the definition ARM gave, turned on and otherwise unchanged, with the token on stdin', async () => {
    const { calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    const [written] = to(calls, `${arm}${testId}`).filter((call) => call.method === 'PUT');
    expect(JSON.parse(written!.data!)).toEqual(JSON.parse(webTest(true)));
    expect(written!.headers).toEqual(['Authorization: Bearer ' + TOKEN, 'Content-Type: application/json']);
    expect(written!.argv.join(' ')).not.toContain(TOKEN);
  });

  it("writes nothing to the azd environment: the test's state lives in Azure, which every provision keeps", async () => {
    const { calls } = await postdeploy({ azdToken: signedIn, routes: upAndRunning });
    expect(calls.filter((call) => call.cli === 'azd').map((call) => call.argv.join(' '))).toEqual([
      'auth token --output json',
    ]);
  });

  it('leaves a test that is already on as it is', async () => {
    const { output, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(readTest({ status: 200, body: webTest(true) })),
    });
    expect(calls.filter((call) => call.method === 'PUT')).toEqual([]);
    expect(output).toContain('the availability test was already on');
  });

  it('turns it on all the same when the app is still unhealthy after the wait, so a broken deployment alerts', async () => {
    const { code, output, calls } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(health(unhealthy)) },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(code).toBe(0);
    expect(to(calls, `${host}/api/webhooks/health`)).toHaveLength(2);
    expect(output).toContain(
      `The app does not answer healthy (${host}/api/webhooks/health: HTTP 503 after 2 tries). The status says why`,
    );
    const [written] = to(calls, `${arm}${testId}`).filter((call) => call.method === 'PUT');
    expect(JSON.parse(written!.data!)).toEqual(JSON.parse(webTest(true)));
    expect(output).toContain(
      'The availability test is on all the same, so this deployment alerts while it stays unhealthy rather than going unwatched.',
    );
    expect(output).not.toContain('The app answers healthy');
  });

  it('says so when the test was already on and the app is unhealthy', async () => {
    const { output, calls } = await postdeploy(
      {
        azdToken: signedIn,
        routes: upAndRunningBut(health(unhealthy), readTest({ status: 200, body: webTest(true) })),
      },
      { ...provisioned, RETRY_ATTEMPTS: '1' },
    );
    expect(calls.filter((call) => call.method === 'PUT')).toEqual([]);
    expect(output).toContain('The availability test is on all the same');
  });

  it('does not turn it on when the host never took the first run: there is nothing it could see', async () => {
    const { code, output, calls } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(runNow({ status: 503 })) },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(code).toBe(0);
    expect(output).toContain('this hook does not turn the availability test on');
    expect(to(calls, `${arm}${testId}`)).toEqual([]);
    expect(to(calls, `${host}/api/webhooks/health`)).toEqual([]);
  });

  it('says how to turn it on when ARM will not', async () => {
    const { code, output } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(writeTest({ status: 409 })) },
      { ...provisioned, RETRY_ATTEMPTS: '1', APPLICATIONINSIGHTS_NAME: 'appi-abc' },
    );
    expect(code).toBe(0);
    expect(output).toContain('Could not turn the availability test on (HTTP 409 after 1 tries).');
    expect(output).toContain(
      'To turn it on, run: azd hooks run postdeploy (or, in the portal: Application Insights appi-abc > Availability > Renewal health > Enable).',
    );
  });

  it('does not write back a definition that says nothing of Enabled', async () => {
    const { output, calls } = await postdeploy({
      azdToken: signedIn,
      routes: upAndRunningBut(readTest({ status: 200, body: '{"properties":{}}' })),
    });
    expect(calls.filter((call) => call.method === 'PUT')).toEqual([]);
    expect(output).toContain('says nothing of being on or off');
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
    const { code, output, calls } = await postdeploy(
      { azdToken: signedIn, routes: [listKeys({ status: 403 })] },
      { ...provisioned, RETRY_ATTEMPTS: '3' },
    );
    expect(code).toBe(0);
    expect(output).toContain(
      "did not give the app's keys (HTTP 403 after 3 tries): your account needs Contributor on the resource group.",
    );
    expect(to(calls, host)).toEqual([]);
  });

  it("ARM never answers: says there was no answer, with curl's error, and nothing of permissions", async () => {
    const { code, output } = await postdeploy(
      { azdToken: signedIn, routes: [listKeys({ status: 0 })] },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(code).toBe(0);
    expect(output).toContain(
      `did not give the app's keys (no answer after 2 tries; curl: (7) Failed to connect): this machine did not reach ${arm} (network, proxy or firewall).`,
    );
    expect(output).not.toMatch(/Contributor|HTTP 0/);
    // curl's error is said once, in the message, not once a try.
    expect(output.match(/Failed to connect/g)).toHaveLength(1);
  });

  it('the host never answers: says there was no answer', async () => {
    const { output } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(runNow({ status: 0 })) },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(output).toContain(
      'The host did not start the renewal run (no answer after 2 tries; curl: (7) Failed to connect).',
    );
  });

  it('the host never takes the run: says so with the HTTP status', async () => {
    const { code, output } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(runNow({ status: 503 })) },
      { ...provisioned, RETRY_ATTEMPTS: '2' },
    );
    expect(code).toBe(0);
    expect(output).toContain('The host did not start the renewal run (HTTP 503 after 2 tries)');
  });

  it('the old key cannot be revoked: says where to delete it, and goes on', async () => {
    const { code, output, calls } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunningBut(revokeOldKey({ status: 500 })) },
      { ...provisioned, RETRY_ATTEMPTS: '1' },
    );
    expect(code).toBe(0);
    expect(output).toContain(
      "Could not revoke the old host key 'availability-test' (HTTP 500 after 1 tries); delete it under the Function App's App keys.",
    );
    expect(to(calls, `${host}/admin/functions/renewSubscriptions`)).toHaveLength(1);
  });
});

describe('the postdeploy hook in a multi-tenant deployment (docs/tenants.md)', () => {
  const consentUrl =
    'https://login.microsoftonline.com/{tenant}/adminconsent?client_id=3c1b7e2a-5d4f-4a6b-8c9d-0e1f2a3b4c5d';
  const multiTenant = {
    ...provisioned,
    MULTI_TENANT_APP_CLIENT_ID: '3c1b7e2a-5d4f-4a6b-8c9d-0e1f2a3b4c5d',
    ADMIN_CONSENT_URL: consentUrl,
  };

  it("says the admin consent URL and what to run once a tenant's admin has consented", async () => {
    const { code, output } = await postdeploy({ azdToken: signedIn, routes: upAndRunning }, multiTenant);
    expect(code).toBe(0);
    expect(output).toContain(
      `Multi-tenant: a customer tenant's admin opens ${consentUrl} with {tenant} replaced by the tenant's id; then run: npm run ops -- tenant add <tenant id> (docs/tenants.md).`,
    );
    expect(output).toContain('First renewal run started.');
  });

  it('says it even when it can do nothing else (azd signed out)', async () => {
    const { code, output } = await postdeploy({ routes: upAndRunning }, multiTenant);
    expect(code).toBe(0);
    expect(output).toContain(consentUrl);
    expect(output).toContain('sign in with: azd auth login');
  });

  it('says nothing of tenants in a single-tenant deployment, where the output is empty', async () => {
    const { output } = await postdeploy(
      { azdToken: signedIn, routes: upAndRunning },
      { ...provisioned, MULTI_TENANT_APP_CLIENT_ID: '', ADMIN_CONSENT_URL: '' },
    );
    expect(output).not.toMatch(/Multi-tenant|adminconsent/);
  });

  it('is said by the Windows hook the same way, after the PowerShell 7 check', () => {
    const ps1 = readRepoFile('infra/hooks/postdeploy.ps1');
    const said = ps1.indexOf(
      'if ($env:ADMIN_CONSENT_URL) {\n  Write-Host "Multi-tenant: a customer tenant\'s admin opens $env:ADMIN_CONSENT_URL with {tenant} replaced by the tenant\'s id; then run: npm run ops -- tenant add <tenant id> (docs/tenants.md)."\n}',
    );
    expect(said).toBeGreaterThan(ps1.indexOf('$PSVersionTable.PSVersion.Major -lt 7'));
    expect(said).toBeLessThan(ps1.indexOf('azd auth token'));
  });
});

describe("azure.yaml's postdeploy hook", () => {
  // A platform block replaces the whole hook (azure-dev cli/azd/pkg/ext/hooks_manager.go), so each says it.
  it.each(['posix', 'windows'])('continues azd up when the %s hook fails anyway (continueOnError)', (platform) => {
    const block = new RegExp(`^ {2}postdeploy:\\n(?: {4}.*\\n)*? {4}${platform}:\\n((?: {6}.*\\n)+)`, 'm').exec(
      readRepoFile('azure.yaml'),
    );
    expect(block?.[1]).toMatch(/^ {6}continueOnError: true$/m);
    expect(block?.[1]).toMatch(/^ {6}interactive: true$/m);
  });
});

describe('the Windows hook (postdeploy.ps1), read: no PowerShell here to run it', () => {
  const ps1 = readRepoFile('infra/hooks/postdeploy.ps1');
  /** The code without comments and string contents, for looking for operators. */
  const code = ps1
    .split('\n')
    .map((line) => line.replace(/'[^']*'|"(?:`.|[^"`])*"/g, "''").replace(/#.*$/, ''))
    .join('\n');
  const firstStatement = code.split('\n').findIndex((line) => line.trim() !== '');

  it('checks for PowerShell 7 before anything else, and ends there with what to install and run, exit 0', () => {
    const check = /^if \(\$PSVersionTable\.PSVersion\.Major -lt 7\) \{\n([\s\S]*?)\n\}$/m.exec(ps1);
    expect(check).not.toBeNull();
    expect(ps1.split('\n')[firstStatement]).toBe('if ($PSVersionTable.PSVersion.Major -lt 7) {');
    expect(check![1]).toContain('winget install Microsoft.PowerShell');
    expect(check![1]).toContain('azd hooks run postdeploy');
    expect(check![1]).toMatch(/\n {2}exit 0$/);
  });

  it('has no #Requires line, which would fail the hook, and azd up with it, under Windows PowerShell 5', () => {
    expect(ps1).not.toMatch(/^#Requires/im);
  });

  it('parses under Windows PowerShell 5.1: no PowerShell 7 operator, ASCII only', () => {
    for (const operator of [/\?\?/, /\?\./, /\?\[/, /&&/, /\|\|/, /\s\?\s[^:]*\s:\s/, /-Parallel\b/i])
      expect(code).not.toMatch(operator);
    expect(ps1).toMatch(/^[\x00-\x7f]*$/);
  });

  it('gives every call 30 s at most, and posts listkeys a JSON {} body', () => {
    const calls = code.match(/Invoke-WebRequest .*/g)!;
    expect(calls.length).toBeGreaterThanOrEqual(6);
    for (const call of calls) expect(call).toMatch(/-TimeoutSec 30\b/);
    expect(ps1).toMatch(
      /listkeys\?api-version=2024-04-01" -Headers \$bearer -ContentType 'application\/json' -Body '\{\}'/,
    );
  });

  it('uses -SkipHttpErrorCheck only after that check, and says "no answer", not a status, when a call throws', () => {
    expect(code.indexOf('-SkipHttpErrorCheck')).toBeGreaterThan(code.indexOf('$PSVersionTable.PSVersion.Major -lt 7'));
    expect(ps1).toMatch(/catch \{ \$script:status = \$null; \$script:failure = \$_\.Exception\.Message \}/);
    expect(ps1).toContain('return "no answer after $attempts tries; $script:failure"');
    expect(ps1).not.toMatch(/status = 0\b/);
  });
});
