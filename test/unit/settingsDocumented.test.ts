import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTINGS } from '../../src/config';

const root = new URL('../../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');

describe('every setting is documented where users look', () => {
  const sample = JSON.parse(read('local.settings.sample.json')).Values as Record<string, string>;
  const readme = read('README.md');
  const configuration = read('docs/configuration.md');

  it.each(SETTINGS)(
    '%s is in local.settings.sample.json, the README configuration table and docs/configuration.md',
    (setting) => {
      const row = new RegExp(`^\\| \`${setting.replace(/\./g, '\\.')}\` \\|`, 'm');
      expect(Object.keys(sample)).toContain(setting);
      expect(readme).toMatch(row);
      expect(configuration).toMatch(row);
    },
  );

  it('lists every setting the config module reads', () => {
    const source = readdirSync(new URL('src/config/', root))
      .map((file) => read(`src/config/${file}`))
      .join('\n');
    const read_ = [...source.matchAll(/env(?:\.([A-Z_]+)|, '([A-Z_]+)')/g)].map((m) => m[1] ?? m[2]);
    // Variables the platform sets, not settings: WEBSITE_HOSTNAME must stay out of local.settings.json,
    // since Core Tools sets it too and fails to start on the duplicate (src/config/webhook.ts).
    const platform = ['IDENTITY_ENDPOINT', 'MSI_ENDPOINT', 'WEBSITE_HOSTNAME'];
    for (const name of read_.filter((n) => !platform.includes(n!))) expect(SETTINGS).toContain(name);
  });

  it('keeps WEBSITE_HOSTNAME out of the sample: Core Tools sets it and fails to start on a second one', () => {
    expect(Object.keys(sample)).not.toContain('WEBSITE_HOSTNAME');
  });

  it('ships a sample that is itself a valid configuration', () => {
    expect(() => loadConfig(sample)).not.toThrow();
  });
});
