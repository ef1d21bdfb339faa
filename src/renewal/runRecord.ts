/** What started a run: the daily timer, or a person (manual renewal, the demo). */
export type RunTrigger = 'timer' | 'manual' | 'demo' | 'lifecycle';

/** `partial`: some subscriptions could not be renewed; `failed`: the run itself could not do its work. */
export type RunOutcome = 'running' | 'succeeded' | 'partial' | 'failed';

export interface RunStart {
  trigger: RunTrigger;
  startedAt: Date;
  /** The timer fired late because an occurrence was missed (app down, restart). */
  isPastDue: boolean;
}

export interface RunTotals {
  finishedAt: Date;
  outcome: Exclude<RunOutcome, 'running'>;
  /** Valid rows read. */
  checked: number;
  due: number;
  renewed: number;
  failed: number;
  /** Subscriptions Graph lost (404, subscriptionRemoved) that are now replaced by a new one. */
  recreated: number;
  /** Subscriptions Graph lost that could not be recreated in this run (the row says why). */
  expired: number;
  /** Due rows another run or request was renewing, or had just renewed: left to it. */
  skipped: number;
  /** Malformed rows, that could not be read as subscriptions (`invalid`: the run history's and the log's name). */
  invalid: number;
  /** Due subscriptions left for the next run because the run's time budget ran out. */
  deferred: number;
  /** Due subscriptions handed to the renewal queue because the run's time budget ran out. */
  queued: number;
  /** Why the run failed, when it did. */
  error?: string;
}

/** The counts a run keeps as it goes: what its record in the run history and its runFinished line say. */
export type RunCounts = Omit<RunTotals, 'finishedAt' | 'outcome' | 'error'>;

export interface RunRecord extends RunStart, Partial<Omit<RunTotals, 'outcome'>> {
  id: string;
  outcome: RunOutcome;
}
