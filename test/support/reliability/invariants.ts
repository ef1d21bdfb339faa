import { basename } from 'node:path';
import { expect, it, type TestContext } from 'vitest';
import { readDate } from '../../../src/storage/subscriptionRow';
import type { Harness } from '../harness';
import { recordScenario, type ScenarioRecord } from './record';

/** One table row as the invariants see it. */
interface RowView {
  partitionKey: string;
  id: string;
  state: string;
  expiration: number | undefined;
  replaces: string | undefined;
  /** Its definition (resource, change types, notification URL), when the row has one. */
  definition: string | undefined;
}

/** The table and Graph at one moment. */
export interface Snapshot {
  rows: RowView[];
  /** Graph's subscription ids, alive by the emulator's clock. */
  onGraph: Set<string>;
  /** Graph's subscriptions whose expiration has passed by the emulator's clock (Graph has dropped them). */
  expiredOnGraph: Set<string>;
  /** How many alive subscriptions Graph holds per definition. */
  perDefinition: Map<string, number>;
}

/** One key per definition, read the way Graph compares them (policy.matchesDefinition). */
function definitionKey(resource: unknown, changeType: unknown, notificationUrl: unknown): string | undefined {
  if (typeof resource !== 'string' || typeof changeType !== 'string' || typeof notificationUrl !== 'string')
    return undefined;
  const changes = changeType
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .sort()
    .join(',');
  return `${resource.trim().replace(/^\//, '').toLowerCase()} ${changes} ${notificationUrl}`;
}

export async function snapshot(harness: Harness): Promise<Snapshot> {
  const rows: RowView[] = [];
  for await (const entity of harness.subscriptionsTable.listEntities<Record<string, unknown>>()) {
    rows.push({
      partitionKey: entity.partitionKey!,
      id: entity.rowKey!,
      state: typeof entity.state === 'string' ? entity.state : 'active',
      expiration: readDate(entity.expirationDateTime)?.getTime(),
      replaces: typeof entity.replaces === 'string' && entity.replaces !== '' ? entity.replaces : undefined,
      definition: definitionKey(entity.resource, entity.changeType, entity.notificationUrl),
    });
  }
  const now = harness.graph.clock().getTime();
  const all = [...harness.graph.subscriptions.values()];
  const alive = all.filter((s) => s.expirationDateTime.getTime() > now);
  const perDefinition = new Map<string, number>();
  for (const subscription of alive) {
    const key = definitionKey(subscription.resource, subscription.changeType, subscription.notificationUrl)!;
    perDefinition.set(key, (perDefinition.get(key) ?? 0) + 1);
  }
  return {
    rows,
    onGraph: new Set(alive.map((s) => s.id)),
    expiredOnGraph: new Set(all.filter((s) => s.expirationDateTime.getTime() <= now).map((s) => s.id)),
    perDefinition,
  };
}

export interface InvariantOptions {
  /** Rows the scenario removed on purpose (an operator's remove). */
  removed?: string[];
  /**
   * Subscriptions Graph may let expire in this scenario because nothing could renew them (Graph
   * refused for good: 403, 400). Every other active row must be alive on Graph.
   */
  unrenewable?: string[];
}

export type Problems = Pick<
  ScenarioRecord,
  | 'rowsLost'
  | 'rowsDuplicated'
  | 'expirationsMovedBack'
  | 'expiredWhileRenewable'
  | 'graphDuplicates'
  | 'rowsAheadOfGraph'
> & { details: string[] };

/** The number of rules `findProblems` checks, each counted as one check. */
export const RULES = 6;

/**
 * The rules that must hold after any fault: no row lost or duplicated, no expiration moved back, no
 * row claiming a later expiration than Graph has, no subscription expired on Graph while its row
 * could have been renewed, and no subscription created on Graph that no row names (a duplicate).
 */
export function findProblems(before: Snapshot, after: Snapshot, options: InvariantOptions = {}): Problems {
  const details: string[] = [];
  const problems: Problems = {
    rowsLost: 0,
    rowsDuplicated: 0,
    expirationsMovedBack: 0,
    expiredWhileRenewable: 0,
    graphDuplicates: 0,
    rowsAheadOfGraph: 0,
    details,
  };
  const afterById = new Map<string, RowView[]>();
  for (const row of after.rows) afterById.set(row.id, [...(afterById.get(row.id) ?? []), row]);
  const replaced = new Set(after.rows.map((row) => row.replaces).filter((id): id is string => id !== undefined));
  const removed = new Set(options.removed ?? []);

  for (const row of before.rows) {
    const now = afterById.get(row.id);
    if (!now && !replaced.has(row.id) && !removed.has(row.id)) {
      problems.rowsLost++;
      details.push(`row ${row.id} is gone and no row replaces it`);
    }
    for (const later of now ?? []) {
      if (row.expiration !== undefined && later.expiration !== undefined && later.expiration < row.expiration) {
        problems.expirationsMovedBack++;
        details.push(
          `row ${row.id}: expiration moved back from ${new Date(row.expiration).toISOString()} to ${new Date(later.expiration).toISOString()}`,
        );
      }
    }
  }
  for (const [id, rows] of afterById) {
    if (rows.length > 1) {
      problems.rowsDuplicated += rows.length - 1;
      details.push(`subscription ${id} has ${rows.length} rows (${rows.map((r) => r.partitionKey).join(', ')})`);
    }
  }
  const unrenewable = new Set(options.unrenewable ?? []);
  const lapsed = new Set<string>();
  for (const row of after.rows) {
    if (row.state !== 'active' || row.expiration === undefined) continue;
    if (!after.onGraph.has(row.id) && !unrenewable.has(row.id)) {
      lapsed.add(row.id);
      details.push(`subscription ${row.id} is active in the table but no longer alive on Graph`);
    }
  }
  // A subscription that ran out on Graph during the scenario while a row named it, whatever that row
  // says now (marked expired, or replaced by a recreation): it lapsed while it could have been renewed.
  const namedEver = new Set([...before.rows, ...after.rows].map((row) => row.id));
  for (const id of after.expiredOnGraph) {
    if (before.expiredOnGraph.has(id) || !namedEver.has(id) || unrenewable.has(id) || lapsed.has(id)) continue;
    lapsed.add(id);
    details.push(`subscription ${id} ran out on Graph during the scenario while a row named it`);
  }
  problems.expiredWhileRenewable = lapsed.size;

  // Duplicates: more subscriptions on Graph for one definition than rows for it (or than there were
  // already), and subscriptions created meanwhile that no row names.
  const rowsPerDefinition = new Map<string, number>();
  for (const row of after.rows)
    if (row.definition) rowsPerDefinition.set(row.definition, (rowsPerDefinition.get(row.definition) ?? 0) + 1);
  for (const [definition, count] of after.perDefinition) {
    const allowed = Math.max(before.perDefinition.get(definition) ?? 0, rowsPerDefinition.get(definition) ?? 0);
    if (count > allowed) {
      problems.graphDuplicates += count - allowed;
      details.push(
        `${count} subscriptions on Graph for one definition (${definition}), where ${allowed} were expected`,
      );
    }
  }
  const named = new Set(after.rows.map((row) => row.id));
  const orphans = [...after.onGraph].filter((id) => !before.onGraph.has(id) && !named.has(id));
  if (orphans.length > problems.graphDuplicates) {
    details.push(`subscription(s) ${orphans.join(', ')} created on Graph during the scenario, which no row names`);
    problems.graphDuplicates = orphans.length;
  }
  return problems;
}

/** Also compares each row with what Graph holds: a row must never claim more than Graph granted. */
export function findRowsAheadOfGraph(harness: Harness, after: Snapshot, problems: Problems): void {
  for (const row of after.rows) {
    const onGraph = harness.graph.subscriptions.get(row.id);
    if (
      row.state === 'active' &&
      onGraph &&
      row.expiration !== undefined &&
      row.expiration > onGraph.expirationDateTime.getTime()
    ) {
      problems.rowsAheadOfGraph++;
      problems.details.push(
        `row ${row.id} says ${new Date(row.expiration).toISOString()}, Graph ${onGraph.expirationDateTime.toISOString()}`,
      );
    }
  }
}

/** What a scenario's body gets: the harness and a way to say when the arranging is over. */
export interface ScenarioContext {
  harness: Harness;
  test: TestContext;
  /** Takes the "before" snapshot now (after the fixtures); without it, the one taken as the scenario starts. */
  arranged: () => Promise<void>;
  /** Checks the invariants now, against the last snapshot, and makes this the new "before". */
  checkpoint: (options?: InvariantOptions) => Promise<void>;
}

/**
 * A fault scenario: a test whose body injects a fault and asserts the behaviour, after which the
 * invariants are checked (and at every checkpoint) and the result recorded for the reliability report.
 */
export function scenario(
  category: string,
  name: string,
  harness: Harness,
  body: (context: ScenarioContext) => Promise<InvariantOptions | void>,
  timeout?: number,
): void {
  const file = basename(
    new Error().stack
      ?.split('\n')
      .find((line) => line.includes('.test.ts'))
      ?.match(/([^/\\(]+\.test\.ts)/)?.[1] ?? 'unknown',
  );
  it(
    name,
    async (test) => {
      let before = await snapshot(harness);
      const totals: Problems = {
        rowsLost: 0,
        rowsDuplicated: 0,
        expirationsMovedBack: 0,
        expiredWhileRenewable: 0,
        graphDuplicates: 0,
        rowsAheadOfGraph: 0,
        details: [],
      };
      let checks = 0;
      const check = async (options: InvariantOptions = {}) => {
        const after = await snapshot(harness);
        const found = findProblems(before, after, options);
        findRowsAheadOfGraph(harness, after, found);
        for (const key of Object.keys(totals) as (keyof Problems)[]) {
          if (key === 'details') totals.details.push(...found.details);
          else totals[key] += found[key];
        }
        checks += RULES;
        before = after;
      };
      const context: ScenarioContext = {
        harness,
        test,
        arranged: async () => {
          before = await snapshot(harness);
        },
        checkpoint: check,
      };
      const options = await body(context);
      await check(options ?? {});
      const { details, ...counts } = totals;
      recordScenario({ file, category, name, checks, ...counts });
      expect(details, 'invariants').toEqual([]);
    },
    timeout,
  );
}
