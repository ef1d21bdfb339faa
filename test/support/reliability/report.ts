import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputRecord, ScenarioRecord } from './record';

/** What the whole run recorded, read back from the record directory. */
export interface RunRecords {
  scenarios: ScenarioRecord[];
  inputs: InputRecord[];
  secrets: { kind: string; value: string }[];
  output: { source: string; text: string }[];
}

export function readRecords(directory: string): RunRecords {
  const records: RunRecords = { scenarios: [], inputs: [], secrets: [], output: [] };
  if (!existsSync(directory)) return records;
  for (const file of readdirSync(directory)) {
    const kind = /^(scenarios|inputs|secrets|output)-\d+\.jsonl$/.exec(file)?.[1] as keyof RunRecords | undefined;
    if (!kind) continue;
    for (const line of readFileSync(join(directory, file), 'utf8').split('\n')) {
      if (line !== '') (records[kind] as unknown[]).push(JSON.parse(line));
    }
  }
  return records;
}

/** A secret's kind and where it showed up, never the secret itself. */
export interface Leak {
  kind: string;
  source: string;
  excerpt: string;
}

/** Shapes a secret has even when the suite did not hand it out (another test's key, a token from elsewhere). */
const SECRET_SHAPES: { kind: string; pattern: RegExp }[] = [
  { kind: 'accountKey', pattern: /AccountKey=[A-Za-z0-9+/]{20,}/ },
  { kind: 'bearerToken', pattern: /Bearer\s+[A-Za-z0-9\-_.~+/]{20,}/ },
  { kind: 'bearerToken', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/ },
];

/** Every place a watched secret, or something shaped like one, appears in what the app said. */
export function findLeaks(records: RunRecords): Leak[] {
  const leaks: Leak[] = [];
  const secrets = records.secrets.filter((secret) => secret.value.length >= 8);
  for (const { source, text } of records.output) {
    // One leak per kind and output: a watched token is also shaped like one.
    const found = new Set<string>();
    for (const secret of secrets) {
      const at = text.indexOf(secret.value);
      if (at >= 0 && !found.has(secret.kind)) {
        found.add(secret.kind);
        leaks.push({ kind: secret.kind, source, excerpt: mask(text, at, secret.value.length) });
      }
    }
    for (const { kind, pattern } of SECRET_SHAPES) {
      const match = pattern.exec(text);
      if (match && !found.has(kind)) {
        found.add(kind);
        leaks.push({ kind, source, excerpt: mask(text, match.index, match[0].length) });
      }
    }
  }
  return leaks;
}

/** The text around a leak with the leaked part masked, so the report does not leak it again. */
function mask(text: string, at: number, length: number): string {
  return `${text.slice(Math.max(0, at - 60), at)}[${length} characters]${text.slice(at + length, at + length + 60)}`;
}

const CATEGORY_TITLES: Record<string, string> = {
  graph: 'Graph faults',
  schedule: 'A month of daily runs under faults',
  rules: "A month of both timers under Graph's rules",
  storage: 'Storage faults',
  process: 'Aborted runs',
  races: 'Races',
  input: 'Bad input',
  access: 'Access',
};

const number = (value: number) => value.toLocaleString('en-US');

/**
 * The reliability figures, from the run's records alone: deterministic for a passing run (scenario
 * and input counts are fixed, every problem count is zero), so CI can compare them with docs/reliability.md.
 */
export function reliabilitySection(records: RunRecords, leaks: Leak[]): string {
  const { scenarios, inputs } = records;
  const sum = (field: keyof ScenarioRecord) =>
    scenarios.reduce((total, record) => total + (record[field] as number), 0);
  const categories = [...new Set(scenarios.map((record) => record.category))].sort(
    (a, b) => Object.keys(CATEGORY_TITLES).indexOf(a) - Object.keys(CATEGORY_TITLES).indexOf(b),
  );
  const batches = [...inputs].sort((a, b) => a.name.localeCompare(b.name));
  const total = (field: 'inputs' | 'serverErrors' | 'stackTraces' | 'unclearErrors') =>
    inputs.reduce((sum, record) => sum + record[field], 0);
  const lines = [
    '| Figure | Value |',
    '| --- | ---: |',
    `| Fault scenarios run, invariants checked after each | ${number(scenarios.length)} |`,
    ...categories.map(
      (category) =>
        `| &nbsp;&nbsp;${CATEGORY_TITLES[category] ?? category} | ${number(scenarios.filter((r) => r.category === category).length)} |`,
    ),
    `| Invariant checks made | ${number(sum('checks'))} |`,
    `| Hostile or invalid inputs tried | ${number(total('inputs'))} |`,
    ...batches.map(
      (record) =>
        `| &nbsp;&nbsp;${record.name}${record.seed === undefined ? '' : ` (seed ${record.seed})`} | ${number(record.inputs)} |`,
    ),
    `| 5xx answers / stack traces / errors not naming the problem, over those inputs | ${number(total('serverErrors'))} / ${number(total('stackTraces'))} / ${number(total('unclearErrors'))} |`,
    `| Rows lost / duplicated | ${number(sum('rowsLost'))} / ${number(sum('rowsDuplicated'))} |`,
    `| Expirations moved back / rows ahead of Graph | ${number(sum('expirationsMovedBack'))} / ${number(sum('rowsAheadOfGraph'))} |`,
    `| Subscriptions expired on Graph while renewable | ${number(sum('expiredWhileRenewable'))} |`,
    `| Duplicate subscriptions created on Graph | ${number(sum('graphDuplicates'))} |`,
    `| Secrets leaked (client state, bearer token, account key, connection string, identity header) | ${number(leaks.length)} |`,
  ];
  return lines.join('\n');
}

export const SECTION_BEGIN =
  '<!-- reliability:begin (the figures of a full, passing test run: npm run reliability writes them) -->';
export const SECTION_END = '<!-- reliability:end -->';

/** The figures between the markers of a document, or undefined when the markers are missing. */
export function markedSection(document: string): string | undefined {
  const begin = document.indexOf(SECTION_BEGIN);
  const end = document.indexOf(SECTION_END);
  if (begin < 0 || end < begin) return undefined;
  return document.slice(begin + SECTION_BEGIN.length, end).trim();
}

export function withSection(document: string, section: string): string {
  const begin = document.indexOf(SECTION_BEGIN);
  const end = document.indexOf(SECTION_END);
  return `${document.slice(0, begin + SECTION_BEGIN.length)}\n${section}\n${document.slice(end)}`;
}
