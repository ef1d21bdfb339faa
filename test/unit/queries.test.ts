import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const eventsSource = readFileSync(new URL('src/renewal/events.ts', root), 'utf8');
const knownEvents = new Set([...eventsSource.matchAll(/event: '([a-zA-Z]+)'/g)].map((m) => m[1]));
const queries = readdirSync(new URL('queries/', root)).filter((file) => file.endsWith('.kql'));

describe('the shipped KQL queries', () => {
  it('exist', () => expect(queries.length).toBeGreaterThanOrEqual(4));

  it.each(queries)('%s only names events the app logs', (file) => {
    const text = readFileSync(new URL(`queries/${file}`, root), 'utf8');
    const named = [...text.matchAll(/'"event":"([a-zA-Z]+)"'|'([a-z][a-zA-Z]+)'/g)]
      .map((m) => m[1] ?? m[2])
      .filter((name) => /^[a-z]+[A-Z]/.test(name!));
    for (const name of named) expect(knownEvents, `${file} names ${name}`).toContain(name);
  });

  it.each(queries)('%s reads the fields the way the app writes them', (file) => {
    const text = readFileSync(new URL(`queries/${file}`, root), 'utf8');
    expect(text).toContain('parse_json(extract(@"\\| (\\{.*\\})$", 1, message))');
  });
});
