// The errors the ports throw: the domain decides what each means (retry, recreate, report), and the adapters
// (graph/, storage/) raise them, so both sides depend on this file and neither on the other.

/** Graph answered with an error, or no answer came (statusCode 0). */
export class GraphRequestError extends Error {
  override readonly name = 'GraphRequestError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** The raw Retry-After header, when Graph sent one (seconds or an HTTP date). */
    readonly retryAfter?: string,
    readonly requestId?: string,
    /** Graph's clock when it answered (its Date header), to ask again within a limit it measures from its own now. */
    readonly serverTime?: Date,
  ) {
    super(message);
  }
}

/** No Graph token could be had: the identity is missing, misconfigured or not allowed. */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

/** The row found for an id cannot be read as a subscription (README, "Table schema"). */
export class MalformedRowError extends Error {
  override readonly name = 'MalformedRowError';
}
