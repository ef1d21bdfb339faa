/**
 * Why an operation could not be carried out. The entry points turn each into their own answer: an HTTP
 * status (src/functions/httpStatus.ts), a line and an exit code (src/cli.ts).
 */
export type OperationErrorKind =
  /** The request is wrong: a field, a parameter, a definition no timer could keep alive. */
  | 'invalidInput'
  /** No such subscription. */
  | 'notFound'
  /** Another worker holds the row, or Graph already has the subscription. */
  | 'conflict'
  /** Graph refused, or did not answer. */
  | 'upstreamFailed'
  /** The table or the identity cannot be reached or used right now. */
  | 'unavailable'
  /** A setting the operation needs is missing or wrong. */
  | 'notConfigured';

/** A request the operations cannot carry out, with the kind of failure that says why. */
export class OperationError extends Error {
  override readonly name = 'OperationError';
  constructor(
    readonly kind: OperationErrorKind,
    message: string,
  ) {
    super(message);
  }
}
