import { RENEWAL_SCHEDULE, runIntervalMs } from '../renewal/policy/schedule';
import { type Env, readNumber } from './env';

/** The renewal policy's knobs and the run's limits. */
export interface RenewalConfig {
  concurrency: number;
  marginHours: number;
  lifetimeHours: number;
  /** How long a run may start renewals; below host.json's functionTimeout (one hour). */
  runBudgetMs: number;
  /** Renewals in flight at once per mailbox (Outlook allows 4 concurrent requests per app per mailbox). */
  mailboxConcurrency: number;
}

/**
 * The policy's knobs. Both must outlast the interval between two runs: a shorter margin lets a
 * subscription first become due at the last check before it expires (no second chance), and a
 * shorter lifetime lets every renewed subscription expire before the next check.
 */
export function readRenewal(env: Env, timeZone: string): RenewalConfig {
  // A day without a clock change; the policy's slack absorbs the 25-hour day.
  const intervalHours = runIntervalMs(RENEWAL_SCHEDULE, timeZone, new Date('2026-01-15T00:00:00Z')) / 3_600_000;
  const marginHours = readNumber(env, 'RENEWAL_MARGIN_HOURS', 36, {
    min: intervalHours,
    max: 720,
    reason: `less than the ${intervalHours} h between two runs would leave a subscription a single chance to be renewed`,
  });
  const lifetimeHours = readNumber(env, 'RENEWAL_LIFETIME_HOURS', 72, {
    min: intervalHours + 1,
    max: 720,
    reason: `a renewal must outlive the ${intervalHours} h until the next run`,
  });
  return {
    // Overall; the per-mailbox limit is what keeps Outlook from throttling, this one bounds sockets and memory.
    concurrency: readNumber(env, 'RENEWAL_CONCURRENCY', 16, { min: 1, max: 64, integer: true }),
    marginHours,
    lifetimeHours,
    runBudgetMs:
      readNumber(env, 'RENEWAL_RUN_BUDGET_MINUTES', 45, {
        min: 0.01,
        max: 1440,
        reason: "keep it under host.json's functionTimeout so the host never kills a run halfway",
      }) * 60_000,
    mailboxConcurrency: readNumber(env, 'RENEWAL_MAILBOX_CONCURRENCY', 4, {
      min: 1,
      max: 4,
      integer: true,
      reason: 'Outlook allows 4 concurrent requests per app per mailbox; more are throttled',
    }),
  };
}
