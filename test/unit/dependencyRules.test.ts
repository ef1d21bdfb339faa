import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDependencies, importsOf } from '../../scripts/checkDependencies.mjs';

// A small tree in the shape of src/: the domain with its ports, an adapter, a use-case, an entry point.
const clean = (): Map<string, string> =>
  new Map([
    [
      'renewal/ports.ts',
      "import type { StoredSubscription } from './subscription';\nexport interface Store { read(): Promise<StoredSubscription> }\n",
    ],
    ['renewal/subscription.ts', 'export interface StoredSubscription { id: string }\n'],
    [
      'renewal/policy/due.ts',
      "import type { StoredSubscription } from '../subscription';\nexport const due = (s: StoredSubscription) => s.id !== '';\n",
    ],
    [
      'renewal/run/run.ts',
      "import { due } from '../policy/due';\nimport type { Store } from '../ports';\nimport { redact } from '../../lib/redact';\nexport const run = async (store: Store) => redact(String(due(await store.read())));\n",
    ],
    ['lib/redact.ts', 'export const redact = (text: string) => text;\n'],
    [
      'storage/table.ts',
      "import type { Store } from '../renewal/ports';\nimport type { run } from '../renewal/run/run';\nimport { TableClient } from '@azure/data-tables';\nexport type Run = typeof run;\nexport class Table implements Store { constructor(readonly client: TableClient) {}\n async read() { return { id: 'a' }; } }\n",
    ],
    [
      'compositionRoot.ts',
      "import { Table } from './storage/table';\nexport const build = () => new Table(undefined as never);\n",
    ],
    [
      'functions/renew.ts',
      "export async function renew() { const { build } = await import('../compositionRoot.js'); const { run } = await import('../renewal/run/run.js'); return run(build()); }\n",
    ],
    ['index.ts', "export { renew } from './functions/renew';\n"],
  ]);

describe('the dependency check (scripts/checkDependencies.mjs)', () => {
  it('passes a tree that keeps every layer rule and has no cycle', () => {
    const { violations, files, edges } = checkDependencies(clean());
    expect(violations).toEqual([]);
    expect(files).toBe(9);
    expect(edges.length).toBe(11);
  });

  it('fails on a back edge from the domain to an adapter, naming it', () => {
    const tree = clean();
    tree.set('renewal/run/run.ts', `import { Table } from '../../storage/table';\n${tree.get('renewal/run/run.ts')}`);
    const { violations } = checkDependencies(tree);
    expect(violations).toContainEqual({
      from: 'renewal/run/run.ts',
      to: 'storage/table.ts',
      rule: expect.stringMatching(/^renewal may not import storage/),
    });
  });

  it('fails on a cycle, type-only imports included, naming its files', () => {
    const tree = clean();
    tree.set(
      'renewal/subscription.ts',
      `import type { Store } from './ports';\nexport interface StoredSubscription { id: string; store?: Store }\n`,
    );
    const { violations } = checkDependencies(tree);
    expect(violations).toEqual([
      {
        from: 'renewal/ports.ts',
        to: 'renewal/subscription.ts',
        rule: 'import cycle (type-only imports count) among renewal/ports.ts, renewal/subscription.ts',
      },
    ]);
  });

  it('lets an adapter import any domain file type-only, but at run time only the ports, errors and types', () => {
    const tree = clean();
    tree.set('storage/table.ts', `import { run } from '../renewal/run/run';\nexport const again = run;\n`);
    expect(checkDependencies(tree).violations).toEqual([
      {
        from: 'storage/table.ts',
        to: 'renewal/run/run.ts',
        rule: expect.stringMatching(/^storage may not import renewal at run time/),
      },
    ]);
  });

  it('keeps SDK packages out of the domain, even type-only', () => {
    const tree = clean();
    tree.set(
      'renewal/policy/due.ts',
      `import type { TableClient } from '@azure/data-tables';\nexport const due = (client: TableClient) => client !== undefined;\n`,
    );
    expect(checkDependencies(tree).violations).toEqual([
      {
        from: 'renewal/policy/due.ts',
        to: '@azure/data-tables',
        rule: expect.stringMatching(/^renewal\/policy imports no SDK package/),
      },
    ]);
  });

  it('reads every kind of import, telling type-only ones apart', () => {
    const text = [
      "import a from './a';",
      "import type { B } from './b';",
      "import { type C, type D } from './c';",
      "import { type E, F } from './e';",
      "export * from './g';",
      "export type { H } from './h';",
      "import './side';",
      "const i = () => import('./i.js');",
      "let j: import('./j').J;",
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      { specifier: './a', typeOnly: false },
      { specifier: './b', typeOnly: true },
      { specifier: './c', typeOnly: true },
      { specifier: './e', typeOnly: false },
      { specifier: './g', typeOnly: false },
      { specifier: './h', typeOnly: true },
      { specifier: './side', typeOnly: false },
      { specifier: './i.js', typeOnly: false },
      { specifier: './j', typeOnly: true },
    ]);
  });

  describe('as CI runs it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dependency-check-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const run = (tree: Map<string, string>) => {
      const root = mkdtempSync(path.join(dir, 'src-'));
      for (const [file, text] of tree) {
        mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        writeFileSync(path.join(root, file), text);
      }
      try {
        return {
          code: 0,
          out: execFileSync(process.execPath, ['scripts/checkDependencies.mjs', root], { encoding: 'utf8' }),
        };
      } catch (error) {
        const failed = error as { status: number; stdout: string };
        return { code: failed.status, out: failed.stdout };
      }
    };

    it('prints one OK line for a clean tree', () => {
      expect(run(clean())).toEqual({
        code: 0,
        out: 'Dependency check OK: 9 files, 11 imports, no cycle, every layer rule kept.\n',
      });
    });

    it('exits 1 on a deliberately added back edge (renewal importing storage), printing `from -> to: rule`', () => {
      const tree = clean();
      tree.set(
        'renewal/run/run.ts',
        `import type { Table } from '../../storage/table';\n${tree.get('renewal/run/run.ts')}`,
      );
      const { code, out } = run(tree);
      expect(code).toBe(1);
      expect(out).toMatch(/^renewal\/run\/run\.ts -> storage\/table\.ts: renewal may not import storage /m);
      expect(out).toMatch(/^renewal\/run\/run\.ts -> storage\/table\.ts: import cycle/m);
      expect(out).toMatch(/^Dependency check FAILED: 2 violation\(s\) in 9 files, 12 imports\.$/m);
    });
  });
});
