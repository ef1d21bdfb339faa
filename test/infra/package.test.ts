import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ignore from 'ignore';
import { beforeAll, describe, expect, it } from 'vitest';
import { azdPackage, gitPackage, goGitignore } from '../support/azdPackage';
import { readRepoFile, requiredAzd, version } from '../support/bicep';
import { buildBundle, runInPackage } from '../support/bundle';
import { coreToolsIgnore, coreToolsPackage } from '../support/coreToolsPackage';
import { copyCheckedOut, linksBelow, writeInside } from '../support/projectCopy';

// What azd uploads: the project folder as it is when `azd deploy` runs, that is after `npm test`,
// packed with the rules azd applies (test/support/azdPackage.ts).
const root = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED = ['dist/index.js', 'dist/sdk.js', 'host.json', 'package.json'];

/** What npm test, Azurite, func start, azd and editors leave in the project folder (.gitignore lists them). */
const LEFTOVERS: Record<string, string> = {
  '.reliability/2026-01-15T09-00-00Z/records.json': '{"clientState":"a-recorded-secret-0123456789"}',
  'coverage/lcov-report/index.html': '<html></html>',
  'test-output/reliability-figures.md': '| Figure | Value |',
  '__azurite_db_table__.json': '{}',
  '__azurite_db_queue__.json': '{}',
  '__blobstorage__/azure-webjobs-hosts/locks': '',
  '__queuestorage__/subscription-renewals/message': '',
  '.azurite/__azurite_db_table__.json': '{}',
  'azurite-debug.log': 'log',
  'test/infra/stray.log': 'log',
  'local.settings.json': '{"Values":{"WEBHOOK_CLIENT_STATE":"a-local-secret-0123456789"}}',
  '.azure/dev/.env': 'WEBHOOK_CLIENT_STATE="an-azd-secret-0123456789"',
  '.vscode/settings.json': '{}',
  'node_modules/@azure/identity/package.json': '{}',
  'dist/src/index.js': '',
};

/** The leftovers' paths in the real tree, as they were before the copy was made: the copy must not touch them. */
const realTreeBefore = Object.fromEntries(Object.keys(LEFTOVERS).map((path) => [path, contentAt(join(root, path))]));

function contentAt(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

let project: string;
beforeAll(async () => {
  // The checked-out project (every file git does not ignore, no link), then a real build, then the leftovers.
  project = mkdtempSync(join(tmpdir(), 'renewal-project-'));
  const checkedOut = ignore().add(readRepoFile('.gitignore')).add('.git');
  copyCheckedOut(root, project, (path) => checkedOut.ignores(path));
  await buildBundle(project);
  for (const [path, text] of Object.entries(LEFTOVERS)) writeInside(project, path, text);
}, 120_000);

describe('the packed copy of the project', () => {
  it('holds no link, so nothing written into it can land in the real tree', () => {
    expect(linksBelow(project)).toEqual([]);
  });

  it("left the real tree's files at the leftovers' paths as they were", () => {
    expect(Object.fromEntries(Object.keys(LEFTOVERS).map((path) => [path, contentAt(join(root, path))]))).toEqual(
      realTreeBefore,
    );
  });

  it('took no git-ignored folder: a folder is matched with its trailing "/"', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'renewal-copy-'));
    const [source, dest] = [join(tmp, 'source'), join(tmp, 'dest')];
    for (const dir of [join(source, 'node_modules/pkg'), join(source, 'src'), dest])
      mkdirSync(dir, { recursive: true });
    writeFileSync(join(source, 'node_modules/pkg/package.json'), '{}');
    writeFileSync(join(source, 'src/index.ts'), '');
    copyCheckedOut(source, dest, (path) => ignore().add('node_modules/').ignores(path));
    expect(readdirSync(dest)).toEqual(['src']);
  });

  it('neither follows nor copies a link, and refuses to write through one', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'renewal-copy-'));
    const [outside, source, dest] = [join(tmp, 'outside'), join(tmp, 'source'), join(tmp, 'dest')];
    for (const dir of [join(outside, '@azure/identity'), source, dest]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(outside, '@azure/identity/package.json'), 'the real one');
    symlinkSync(outside, join(source, 'node_modules'));
    symlinkSync(join(outside, '@azure/identity/package.json'), join(source, 'package.json'));
    copyCheckedOut(source, dest, () => false);
    expect(readdirSync(dest)).toEqual([]);

    // A project that holds a link anyway (a copy made another way): the leftover is refused, and
    // nothing reaches the folder the link points at.
    symlinkSync(outside, join(dest, 'node_modules'));
    expect(() => writeInside(dest, 'node_modules/@azure/identity/package.json', '{}')).toThrow(/is a link/);
    symlinkSync(join(outside, '@azure/identity/package.json'), join(dest, 'package.json'));
    expect(() => writeInside(dest, 'package.json', '{}')).toThrow(/is a link/);
    expect(() => writeInside(dest, '../outside/stray.json', '{}')).toThrow(/is not inside/);
    expect(readFileSync(join(outside, '@azure/identity/package.json'), 'utf8')).toBe('the real one');
    expect(readdirSync(outside)).toEqual(['@azure']);
  });
});

describe('the deployed package', () => {
  it('is the bundle, its SDK file, host.json and package.json, whatever npm test left behind', () => {
    expect(azdPackage(project)).toEqual(SHIPPED);
  });

  it("is the same under git's own rules, so the allow-list does not lean on go-gitignore's quirks", () => {
    expect(gitPackage(project)).toEqual(SHIPPED);
  });

  it('loads on its own, from exactly those files, and registers the functions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renewal-shipped-'));
    for (const file of azdPackage(project)) cpSync(join(project, file), join(dir, file), { recursive: true });
    const { stderr } = await runInPackage(dir, "require('./dist/index.js')");
    for (const name of ['renewSubscriptions', 'schedulerStatus', 'health', 'lifecycleNotifications']) {
      expect(stderr).toContain(`register function "${name}"`);
    }
  });

  it('points package.json at the bundle', () => {
    expect(JSON.parse(readRepoFile('package.json')).main).toBe('dist/index.js');
  });

  it("requires an azd that lets .funcignore's ! patterns back in (1.23.13, azure-dev #7311)", () => {
    expect(requiredAzd()).toBeGreaterThanOrEqual(version('1.23.13'));
  });
});

describe('the package `func azure functionapp publish` makes (Core Tools)', () => {
  it('is the bundles, their source maps, host.json and package.json after a build, and whatever else is in dist/', () => {
    // Its parser lets a "!" pattern in as a prefix and always wins with it: !/dist/ admits all of
    // dist/, and !/dist/index.js admits dist/index.js.map. No .funcignore line can keep those out.
    expect(coreToolsPackage(project)).toEqual(
      [...SHIPPED, 'dist/index.js.map', 'dist/sdk.js.map', 'dist/src/index.js'].sort(),
    );
    expect(readFileSync(join(project, 'dist/index.js.map'), 'utf8')).not.toMatch(
      /a-recorded-secret|a-local-secret|an-azd-secret/,
    );
  });

  it('has dist/ emptied by the build first, so no leftover there ships', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renewal-dist-'));
    writeInside(dir, 'dist/src/index.js', 'stale');
    writeInside(dir, 'host.json', '{}');
    await buildBundle(dir);
    expect(readdirSync(join(dir, 'dist')).sort()).toEqual(['index.js', 'index.js.map', 'sdk.js', 'sdk.js.map']);
    expect(readdirSync(dir)).toContain('host.json');
  });

  it("lets in a root file that starts with an allowed name, or whose name has no ASCII letter, digit or '_'", () => {
    const accepts = coreToolsIgnore(readRepoFile('.funcignore'));
    expect(['host.json.bak', 'package.json.orig', '~', '--'].filter(accepts)).toEqual([
      'host.json.bak',
      'package.json.orig',
      '~',
      '--',
    ]);
    expect(
      [
        'package-lock.json',
        'src/index.ts',
        'node_modules/@azure/identity/package.json',
        'README.md',
        'infra/main.bicep',
      ].filter(accepts),
    ).toEqual([]);
  });
});

describe("Core Tools' .funcignore parser, ported", () => {
  // Core Tools' own cases (test/Cli/Func.UnitTests/ParserTests/GitIgnoreParserTests.cs), on its fixture.
  const fixture = [
    '# This is a comment in a .gitignore file!',
    'node_modules',
    '*.log',
    '',
    '# Ignore this nonexistent file',
    'nonexistent',
    '',
    '# Do not ignore this file',
    '!/nonexistent/foo',
    '',
    '# Ignore some files',
    '',
    '/baz',
    '',
    'foo/*.wat',
    '',
    '/test1',
    '',
    'test2',
    '',
    '# Ignore some deep sub folders',
    'othernonexistent/**/what',
    '',
    '# Unignore some other sub folders',
    '!/othernonexistent/**/what/foo',
    '',
    '',
    '*.swp',
    '',
  ].join('\n');
  const accepts = coreToolsIgnore(fixture);
  const noNegatives = coreToolsIgnore('node_modules');
  const accepted = [
    'test/index.js',
    'wat/test/index.js',
    '/othernonexistent/blah/adsasd/whatads',
    '/othernonexistent/blah/adsasd/what/foo',
    'test1File.wat',
    'nonexistent/foo',
    'nonexistent/foo/wat',
  ];
  const denied = [
    'test2',
    'test.swp',
    'node_modules/what.js',
    'foo/bar.wat',
    'othernonexistent/blah/what',
    'nonexistent',
    'nonexistent/bar',
    'test1',
  ];

  it.each(accepted)('accepts %s, as Core Tools does', (path) => expect(accepts(path)).toBe(true));
  it.each(denied)('denies %s, as Core Tools does', (path) => expect(accepts(path)).toBe(false));
  it.each(['test/index.js', 'wat/test/index.js'])('without negatives, accepts %s', (path) =>
    expect(noNegatives(path)).toBe(true),
  );
  it.each(['node_modules', 'node_modules/wat.js', 'node_modules/foo'])('without negatives, denies %s', (path) =>
    expect(noNegatives(path)).toBe(false),
  );
});

describe("the packer's go-gitignore rules", () => {
  // The library's own match table (github.com/denormal/go-gitignore, defn_test.go, _GITMATCH and
  // _GITMATCHES), without its two patterns that use character classes or escapes and the five paths
  // only those decide. A path ending in "/" is a folder.
  const rules = goGitignore(
    [
      '*.html',
      '*.min.js',
      '!foo*.html',
      'foo-excl.html',
      'vmlinux*',
      'log/*.log',
      '!/log/foo.log',
      '**/logdir/log',
      '**/foodir/bar',
      'exclude/**',
      '!findthis*',
      '**/hide/**',
      'subdir/subdir2/',
      '/rootsubdir/',
      'dirpattern/',
      'README.md',
      '!arch/foo/kernel/vmlinux*',
      '!htmldoc/*.html',
      'git-sample-3/*',
      '!git-sample-3/foo',
      'git-sample-3/foo/*',
      '!git-sample-3/foo/bar',
      'Documentation/*.pdf',
      'Documentation/**/p*.pdf',
    ].join('\n'),
  );
  const ignored = [
    'arch/foo/vmlinux.lds.S',
    'my/path/to/dirpattern/',
    'Documentation/foo-excl.html',
    'Documentation/gitignore.html',
    'Documentation/test.a.html',
    'exclude/',
    'exclude/dir1/dir2/dir3/testfile',
    'exclude/other_file.txt',
    'foodir/bar/',
    'git-sample-3/foo/test/',
    'git-sample-3/test/',
    'htmldoc/jslib.min.js',
    'log/test.log',
    'rootsubdir/',
    'subdir/hide/',
    'subdir/hide/foo',
    'subdir/logdir/log/',
    'subdir/subdir2/',
    'README.md',
    'my-path/also/README.md',
    'Documentation/git.pdf',
    'Documentation/ppc/ppc.pdf',
  ];
  const kept = [
    'arch/foo/kernel/vmlinux.lds.S',
    'bar/testfile',
    'dirpattern',
    'my/path/to/dirpattern/some_file.txt',
    'Documentation/foo.html',
    'foo/exclude/some_file.txt',
    'foodir/bar/testfile',
    'git-sample-3/',
    'git-sample-3/foo/',
    'git-sample-3/foo/bar/',
    'htmldoc/docs.html',
    'log/foo.log',
    'rootsubdir/foo',
    'src/findthis.o',
    'subdir/logdir/log/findthis.log',
    'subdir/rootsubdir/',
    'tools/perf/Documentation/perf.pdf',
  ];
  const decide = (path: string) => rules(path.replace(/\/$/, ''), path.endsWith('/'));

  it.each(ignored)('leaves out %s, as the library does', (path) => expect(decide(path)).toBe(true));
  it.each(kept)('keeps %s, as the library does', (path) => expect(decide(path)).toBe(false));

  it("lets an anchored /* reach into folders, as go-gitignore's fnmatch without FNM_PATHNAME does (git does not)", () => {
    // Why .funcignore lets dist/'s two files back in one by one: re-entering dist/ is not enough for azd.
    const reentered = '/*\n!/dist/';
    expect(goGitignore(reentered)('dist/index.js', false)).toBe(true);
    expect(ignore().add(reentered).ignores('dist/index.js')).toBe(false);
  });

  it('refuses a pattern it does not port rather than guess', () => {
    expect(() => goGitignore('*.[oa]')).toThrow(/character classes and escapes are not ported/);
  });
});
