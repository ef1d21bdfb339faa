import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe('every setting is documented where users look', () => {
  const sample = JSON.parse(read('local.settings.sample.json')).Values as Record<string, string>;
  const readme = read('README.md');

  it.each(SETTINGS)('%s is in local.settings.sample.json and in the README configuration table', (setting) => {
    expect(Object.keys(sample)).toContain(setting);
    expect(readme).toMatch(new RegExp(`^\\| \`${setting.replace(/\./g, '\\.')}\` \\|`, 'm'));
  });

  it('lists every setting the config module reads', () => {
    const source = read('src/config.ts');
    const read_ = [...source.matchAll(/env(?:\.([A-Z_]+)|, '([A-Z_]+)')/g)].map((m) => m[1] ?? m[2]);
    for (const name of read_.filter((n) => !['IDENTITY_ENDPOINT', 'MSI_ENDPOINT'].includes(n!))) expect(SETTINGS).toContain(name);
  });

  it('ships a sample that is itself a valid configuration', () => {
    expect(() => loadConfig(sample)).not.toThrow();
  });
});
