import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function files(directory: string): string[] {
  return readdirSync(join(root, directory)).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(join(root, path)).isDirectory()) return files(path);
    return /\.(ts|mts|mjs|cjs|bicep|sh|ps1)$/.test(name) ? [path] : [];
  });
}

const sources = ['src', 'infra', 'scripts', 'test']
  .flatMap(files)
  .filter((file) => !file.endsWith('docsCited.test.ts'))
  .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
const readmeHeadings = new Set(
  [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!.trim()),
);

describe('what the code cites of the docs exists', () => {
  it('every README section an error message or comment names is a heading of the README', () => {
    const cited = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/README,? (?:"((?:[^"\\]|\\.)+)"|([A-Z][A-Za-z' ]+)(?=[).]))/g)].map((m) => ({
        file,
        section: (m[1] ?? m[2]!).replace(/\\'/g, "'"),
      })),
    );
    expect(cited.length).toBeGreaterThan(10);
    for (const { file, section } of cited)
      expect(readmeHeadings, `${file} cites README "${section}"`).toContain(section);
  });

  it('every docs/ page cited is there', () => {
    const pages = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/docs\/([a-z-]+\.(?:md|png))/g)].map((m) => ({ file, page: m[1]! })),
    );
    expect(pages.length).toBeGreaterThan(5);
    for (const { file, page } of pages)
      expect(existsSync(join(root, 'docs', page)), `${file} cites docs/${page}`).toBe(true);
  });
});
