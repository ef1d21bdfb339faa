// Every src module the fakes, the contract tests and the orchestration's unit tests use, but the three
// that stay where they are (renewal/ports.ts, renewal/errors.ts, renewal/subscription.ts): when a module
// moves, this file is the one to change.
export { runRenewal, type RenewalRunInput, type RenewalRunResult } from '../../../src/renewal/run';
export { renewSubscription, type RenewalContext, type RenewalOutcome } from '../../../src/renewal/renewSubscription';
export { recreateSubscription } from '../../../src/renewal/recreateSubscription';
export { DOCUMENTED_RULES, GraphRules, type LearntMaximum } from '../../../src/renewal/graphRules';
export type { Schedules } from '../../../src/renewal/cadence';
export type { RunRecord, RunStart, RunTotals } from '../../../src/renewal/runRecord';
export { MalformedRowError, SubscriptionTable } from '../../../src/storage/subscriptionTable';
export { TableStorageError } from '../../../src/storage/tableStorageError';
export { canBeKey } from '../../../src/storage/keys';
export { loadConfig } from '../../../src/config';
export { servicesFor } from '../../../src/compositionRoot';
export { SubscriptionIndex } from '../../../src/storage/subscriptionIndex';
