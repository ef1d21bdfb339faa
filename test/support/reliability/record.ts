import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the whole test run leaves what the reliability report is made of: one file per worker
 * process and kind, appended to as tests run. The global setup empties it and points every worker
 * at it; the reporter reads it once the run ends.
 */
export function recordDirectory(): string {
  return process.env.RELIABILITY_RECORD_DIR ?? join(process.cwd(), '.reliability');
}

/**
 * The record folder for the test run in process `pid`, empty; the folders of runs whose process is
 * gone are removed on the way.
 */
export function runRecordDirectory(pid: number): string {
  const root = join(process.cwd(), '.reliability');
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      const owner = Number(/^run-(\d+)$/.exec(name)?.[1]);
      if (!owner || owner === pid || !isAlive(owner)) rmSync(join(root, name), { recursive: true, force: true });
    }
  }
  return join(root, `run-${pid}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Appends one line to this worker's file of `kind` (scenarios, inputs, secrets, output). */
export function appendRecord(kind: 'scenarios' | 'inputs' | 'secrets' | 'output', line: string): void {
  const directory = recordDirectory();
  mkdirSync(directory, { recursive: true });
  appendFileSync(join(directory, `${kind}-${process.pid}.jsonl`), `${line}\n`);
}

/** A fault scenario that ran, and what its invariant checks found. */
export interface ScenarioRecord {
  file: string;
  category: string;
  name: string;
  /** Invariant checks made after it (one per rule, per check). */
  checks: number;
  /** Problems found, per invariant; all zero when it passed. */
  rowsLost: number;
  rowsDuplicated: number;
  expirationsMovedBack: number;
  expiredWhileRenewable: number;
  graphDuplicates: number;
  rowsAheadOfGraph: number;
}

export function recordScenario(record: ScenarioRecord): void {
  appendRecord('scenarios', JSON.stringify(record));
}

/**
 * A batch of hostile or invalid inputs (a property-based fuzz run, every setting with a bad value,
 * every row field missing…): how many were tried and what came back.
 */
export interface InputRecord {
  file: string;
  /** What was tried, as the report names it: "lifecycle endpoint fuzz", "invalid settings"… */
  name: string;
  /** The fuzzer's seed, for a property-based run (fixed, so the same inputs every time). */
  seed?: number;
  inputs: number;
  /** Answers with a 5xx status, and answers or errors showing a stack trace; both must stay 0. */
  serverErrors: number;
  stackTraces: number;
  /** Refusals that did not name what is wrong; must stay 0. */
  unclearErrors: number;
}

export function recordInputs(record: InputRecord): void {
  appendRecord('inputs', JSON.stringify(record));
}
