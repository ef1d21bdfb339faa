import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { readRepoFile } from '../support/bicep';
import { buildBundle, runInPackage } from '../support/bundle';

// What azd and `func azure functionapp publish` upload: the repository minus .funcignore.
const rules = ignore().add(readRepoFile('.funcignore'));

describe('the deployed package', () => {
  it.each(['dist/index.js', 'dist/sdk.js', 'host.json', 'package.json'])('ships %s', (file) => {
    expect(rules.ignores(file)).toBe(false);
  });

  it.each([
    'node_modules/@azure/identity/package.json',
    'src/index.ts',
    'test/unit/policy.test.ts',
    'scripts/demo.ts',
    'infra/main.bicep',
    'queries/last-runs.kql',
    'bench/results.json',
    'bench/chart.svg',
    'docs/status-page.png',
    'test-output/status-page-390.png',
    'local.settings.json',
    '.azure/dev/.env',
    'dist/index.js.map',
    'dist/sdk.js.map',
    'package-lock.json',
    '.funcignore',
  ])('leaves out %s', (file) => {
    expect(rules.ignores(file)).toBe(true);
  });

  it('anchors its patterns, so no folder named src or test is dropped deeper down', () => {
    expect(rules.ignores('dist/src/functions/renewSubscriptions.js')).toBe(false);
    expect(rules.ignores('dist/test/x.js')).toBe(false);
  });

  it('points package.json at the bundle', () => {
    expect(JSON.parse(readRepoFile('package.json')).main).toBe('dist/index.js');
  });

  it('loads on its own, with no node_modules, and registers both functions', async () => {
    const dir = await buildBundle();
    const { stderr } = await runInPackage(dir, "require('./dist/index.js')");
    expect(stderr).toContain('register function "renewSubscriptions"');
    expect(stderr).toContain('register function "schedulerStatus"');
  });
});
