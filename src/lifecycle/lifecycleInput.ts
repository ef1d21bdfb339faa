import type { Log } from '../renewal/ports';
import type { RenewalContext } from '../renewal/run/renewalContext';

/** What acting on lifecycle notifications takes: plain values and ports, built by the composition root. */
export interface LifecycleInput {
  /** What every notification must carry (WEBHOOK_CLIENT_STATE, a secret); undefined when it is not set. */
  clientState: string | undefined;
  /** What is wrong with the webhook settings, if anything. */
  webhookProblem: string | undefined;
  /** What renewing or recreating one subscription needs, with the rules in force (a table read, cached). */
  renewalContext(): Promise<RenewalContext>;
}

/** What became of a batch of lifecycle notifications; src/functions/lifecycleNotifications.ts answers Graph with it. */
export type LifecycleOutcome =
  /** Every event is recorded on its row (the work it asks for goes on after the answer). */
  | { kind: 'accepted' }
  /** Not a lifecycle payload: `error` says why. */
  | { kind: 'invalidInput'; error: string }
  /** The settings or the tables stop the app from checking or recording anything (the log says which). */
  | { kind: 'notConfigured' }
  /** Not every event could be recorded in time: Graph should send them again. */
  | { kind: 'notRecorded' };

/** Where a request's events are logged: the invocation's log and its id (`InvocationContext` fits as it is). */
export type RequestLog = Log & { invocationId: string };
