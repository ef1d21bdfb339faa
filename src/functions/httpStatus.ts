import type { OperationErrorKind } from '../operations/operationError';
import type { UpdateFailure, UpdateReport } from '../operations/update';

/**
 * Every kind of failure an HTTP function answers, the use-cases' (src/operations, src/lifecycle) and
 * the entry points' own.
 */
export type FailureKind =
  | OperationErrorKind
  /** Lifecycle notifications that could not all be recorded: Graph sends them again. */
  | 'notRecorded'
  /** A body that is not JSON where JSON is expected. */
  | 'unsupportedMediaType'
  /** Anything else: a bug, or a failure nothing above names. */
  | 'internal';

/** The one error -> HTTP status table: a status is chosen here, never deep inside a use-case. */
const HTTP_STATUS: Record<FailureKind, number> = {
  invalidInput: 400,
  notFound: 404,
  conflict: 409,
  unsupportedMediaType: 415,
  internal: 500,
  // "Upstream": Graph refused or did not answer, not this app.
  upstreamFailed: 502,
  // Unavailable, not broken: worth trying again once the table, the identity or the setting is back.
  unavailable: 503,
  notConfigured: 503,
  notRecorded: 503,
};

/** The HTTP status that answers a failure of this kind. */
export function httpStatus(kind: FailureKind): number {
  return HTTP_STATUS[kind];
}

/** An update's failures as the answer shows them: with the HTTP status a single update answers. */
export function failuresWithStatus(failed: UpdateFailure[]): { id: string; error: string; status: number }[] {
  return failed.map(({ id, error, kind }) => ({ id, error, status: httpStatus(kind) }));
}

/** An update's report as the answer (and the CLI) shows it. */
export function updateReportBody(
  report: UpdateReport,
): Omit<UpdateReport, 'failed'> & { failed: { id: string; error: string; status: number }[] } {
  return { ...report, failed: failuresWithStatus(report.failed) };
}
