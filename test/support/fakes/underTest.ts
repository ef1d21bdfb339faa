// Every src module the fakes, the contract tests and the orchestration's unit tests use, but the three
// that stay where they are (renewal/ports.ts, renewal/errors.ts, renewal/subscription.ts): when a module
// moves, this file is the one to change.
export { runRenewal, type RenewalRunInput, type RenewalRunResult } from '../../../src/renewal/run';
export { renewSubscription, type RenewalContext, type RenewalOutcome } from '../../../src/renewal/renewSubscription';
export { recreateSubscription } from '../../../src/renewal/recreateSubscription';
export { DOCUMENTED_RULES, GraphRules, type LearntMaximum } from '../../../src/renewal/graphRules';
export type { Schedules } from '../../../src/renewal/cadence';
export type { RunRecord, RunStart, RunTotals } from '../../../src/renewal/runRecord';
export { MalformedRowError } from '../../../src/storage/subscriptionTable';
export { TableStorageError } from '../../../src/storage/tableStorageError';
export { canBeKey } from '../../../src/storage/keys';

/**
 * The real adapters and what builds them, for the contract tests: loaded when asked for, so that the
 * unit tests of the orchestration do not load the Graph client and the identity SDK they never use.
 */
export async function realAdapters() {
  const [{ SubscriptionTable }, { SubscriptionIndex }, { RunTable }, { loadConfig }, { servicesFor }] = await Promise.all([
    import('../../../src/storage/subscriptionTable'),
    import('../../../src/storage/subscriptionIndex'),
    import('../../../src/storage/runTable'),
    import('../../../src/config'),
    import('../../../src/compositionRoot'),
  ]);
  return { SubscriptionTable, SubscriptionIndex, RunTable, loadConfig, servicesFor };
}
