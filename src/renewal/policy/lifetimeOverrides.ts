import { DOCUMENTED_RULES, type LifetimeRule, MIN_LIFETIME_MINUTES, normalizedPath } from './documentedLifetimes';

/** One entry of GRAPH_MAX_LIFETIMES: a kind (`outlook`, `outlook+rich`) or a path pattern, and its maximum. */
export interface LifetimeOverride {
  key: string;
  maxMinutes: number;
}

const MAX_MINUTES = 525_600; // a year: far above anything Graph documents, low enough to catch a typo
export const OVERRIDE_EXAMPLE = 'outlook=10080; outlook+rich=1440; users/{id}/todo/lists/*/tasks=4230';

/**
 * Reads GRAPH_MAX_LIFETIMES: entries separated by `;` or new lines, each `key=minutes`. The key is a
 * documented kind (see DOCUMENTED_RULES), optionally with `+rich` for its variant with resource
 * data, or a resource path pattern where `{…}` and `*` stand for one segment and a final `**` for the
 * rest. Throws an Error naming the entry and what it takes.
 */
export function parseLifetimeOverrides(text: string): LifetimeOverride[] {
  const seen = new Set<string>();
  const overrides: LifetimeOverride[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const equals = entry.lastIndexOf('=');
    if (equals <= 0) throw new Error(`"${entry.slice(0, 80)}" is not key=minutes; e.g. ${OVERRIDE_EXAMPLE}`);
    const key = normalizeKey(entry.slice(0, equals).trim());
    const value = entry.slice(equals + 1).trim();
    const maxMinutes = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!(maxMinutes >= MIN_LIFETIME_MINUTES && maxMinutes <= MAX_MINUTES)) {
      throw new Error(
        `"${entry.slice(0, 80)}": the maximum must be a whole number of minutes from ${MIN_LIFETIME_MINUTES} (Graph's floor) to ${MAX_MINUTES}.`,
      );
    }
    if (seen.has(key)) throw new Error(`"${key}" is given twice; give each kind or pattern once.`);
    seen.add(key);
    const [base] = key.split('+');
    if (!isPattern(base!) && !DOCUMENTED_RULES.some((known) => known.kind === base)) {
      throw new Error(
        `"${base}" is not a known kind (${DOCUMENTED_RULES.map((known) => known.kind).join(', ')}) nor a resource path pattern such as users/{id}/todo/lists/*/tasks.`,
      );
    }
    overrides.push({ key, maxMinutes });
  }
  for (const { key } of overrides) {
    const [base, variant] = key.split('+');
    if (variant === 'rich' && isPattern(base!) && !seen.has(base!)) {
      throw new Error(
        `"${key}" sets the resource-data variant of a pattern with no maximum of its own: add ${base}=<minutes> too.`,
      );
    }
  }
  return overrides;
}

/** The documented rules with the overrides applied: a kind's numbers replaced, patterns put first. */
export function applyOverrides(
  overrides: readonly LifetimeOverride[],
  documented: readonly LifetimeRule[] = DOCUMENTED_RULES,
): LifetimeRule[] {
  const rules = documented.map((known) => ({ ...known }));
  const patterns: LifetimeRule[] = [];
  for (const { key, maxMinutes } of overrides) {
    const [base, variant] = key.split('+') as [string, string | undefined];
    let target = rules.find((known) => known.kind === base) ?? patterns.find((added) => added.kind === base);
    if (!target) {
      const pattern = patternRegExp(base);
      target = { kind: base, maxMinutes, matches: (path) => pattern.test(path), source: 'override' };
      patterns.push(target);
    }
    target.source = 'override';
    if (variant === 'rich') target.richMaxMinutes = maxMinutes;
    else target.maxMinutes = maxMinutes;
  }
  // A pattern someone wrote is meant to win over the documented table's wider rules.
  return [...patterns, ...rules];
}

function normalizeKey(key: string): string {
  const rich = /\+rich$/i.test(key);
  const base = key.replace(/\+rich$/i, '');
  const normalized = isPattern(base) ? normalizedPath(base.replace(/\{[^}]*\}/g, '*')) : base.toLowerCase();
  return rich ? `${normalized}+rich` : normalized;
}

function isPattern(key: string): boolean {
  return /[/*{]/.test(key);
}

function patternRegExp(pattern: string): RegExp {
  const segments = pattern.split('/').map((segment, index, all) => {
    if (segment === '**' && index === all.length - 1) return '.*';
    if (segment === '*') return '[^/]+';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}
