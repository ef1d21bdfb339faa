import type { RunCounts } from '../runRecord';

/**
 * One run as it goes, handed to each step in turn (select, renew, hand off, finish): its id, its counts
 * so far, and the error that ends it early. A step that fails part-way leaves its counts as they were,
 * so a failed run records what it did.
 */
export interface RunState {
  readonly id: string;
  readonly startedAt: Date;
  readonly totals: RunCounts;
  /** What fails every renewal (no token), or what threw: the run stops starting renewals and is recorded as failed. */
  fatal?: Error;
  /** The end is being recorded: a failure from there on is reported, not recorded a second time. */
  finishing: boolean;
}

/** Every count at zero, in the order the run's record and line have always listed them. */
export function noCounts(): RunCounts {
  return {
    checked: 0,
    due: 0,
    renewed: 0,
    failed: 0,
    recreated: 0,
    expired: 0,
    skipped: 0,
    invalid: 0,
    deferred: 0,
    queued: 0,
  };
}
