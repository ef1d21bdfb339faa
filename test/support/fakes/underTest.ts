// Every src module the fakes, the contract tests and the orchestration's unit tests use, but the three
// that stay where they are (renewal/ports.ts, renewal/errors.ts, renewal/subscription.ts): when a module
// moves, this file is the one to change.
export { MalformedRowError } from '../../../src/renewal/errors';
export { TableStorageError } from '../../../src/renewal/errors';
export type { Schedules } from '../../../src/renewal/policy/cadence';
export { DOCUMENTED_RULES } from '../../../src/renewal/policy/documentedLifetimes';
export { GraphRules, type LearntMaximum } from '../../../src/renewal/policy/graphRules';
export { recreateSubscription } from '../../../src/renewal/run/recreateSubscription';
export { type RenewalContext } from '../../../src/renewal/run/renewalContext';
export { type RenewalOutcome, renewSubscription } from '../../../src/renewal/run/renewSubscription';
export { type RenewalRunInput, type RenewalRunResult, runRenewal } from '../../../src/renewal/run/run';
export type { RunRecord, RunStart, RunTotals } from '../../../src/renewal/runRecord';
export { canBeKey } from '../../../src/renewal/subscription';

/**
 * The real adapters and what builds them, for the contract tests: loaded when asked for, so that the
 * unit tests of the orchestration do not load the Graph client and the identity SDK they never use.
 */
export async function realAdapters() {
  const [{ SubscriptionTable }, { SubscriptionIndex }, { RunTable }, { loadConfig }, { servicesFor }] =
    await Promise.all([
      import('../../../src/storage/subscriptionTable'),
      import('../../../src/storage/subscriptionIndex'),
      import('../../../src/storage/runTable'),
      import('../../../src/config'),
      import('../../../src/compositionRoot/services'),
    ]);
  return { SubscriptionTable, SubscriptionIndex, RunTable, loadConfig, servicesFor };
}
