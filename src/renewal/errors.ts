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
  override readonly name: string = 'CredentialError';
}

/**
 * Entra refused a customer tenant's token for a reason only that tenant's admin can end: no consent
 * (the app has no service principal there, or it was deleted), the tenant gone. Any other
 * CredentialError (a timeout, Entra down, the managed identity's assertion) says nothing of consent.
 */
export class ConsentMissingError extends CredentialError {
  override readonly name = 'ConsentMissingError';
}

/** The row found for an id cannot be read as a subscription (README, "Table schema"). */
export class MalformedRowError extends Error {
  override readonly name = 'MalformedRowError';
}

/**
 * What the store ports (SubscriptionStore, RunHistory, CensusRows, ...) reject with when a table
 * operation fails, said in words an operator can act on; the service's status and code are kept
 * (statusCode undefined: no answer). storage/tableStorageError.ts makes one from the SDK's error.
 */
export class TableStorageError extends Error {
  override readonly name = 'TableStorageError';
  constructor(
    message: string,
    readonly table: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    /** True when the table itself does not exist (deleted, or never provisioned). */
    readonly tableMissing = false,
  ) {
    super(message);
  }
}

/** The row a write named is not there any more (removed meanwhile); the whole table missing is not that. */
export function isRowGone(error: unknown): boolean {
  return (
    (error as { statusCode?: number } | undefined)?.statusCode === 404 &&
    !(error instanceof TableStorageError && error.tableMissing)
  );
}

/** The table service cannot be used now (down, the table missing, access refused): worth trying again later. */
export function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof TableStorageError &&
    (error.tableMissing || error.statusCode === undefined || error.statusCode === 403)
  );
}
