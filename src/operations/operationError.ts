/** A request the operations cannot carry out, with the HTTP status that says why (400, 404, 409, 502, 503). */
export class OperationError extends Error {
  override readonly name = 'OperationError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
