import { redact } from '../lib/redact';
import { CredentialError, GraphRequestError } from '../renewal/errors';
import { OperationError } from './operationError';

/** Runs a Graph call; its failure becomes an OperationError that says what Graph answered. */
export async function graphCall<T>(call: () => Promise<T>, what: string, creates = false): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CredentialError) throw new OperationError('unavailable', error.message);
    if (error instanceof GraphRequestError) {
      const status = error.statusCode === 0 ? 'no answer' : `status ${error.statusCode}`;
      // No answer or a server error: Graph may have created it all the same.
      const unsure =
        creates && (error.statusCode === 0 || error.statusCode >= 500)
          ? ' Graph may have created it anyway: run adopt before registering again, or you may get two.'
          : '';
      throw new OperationError(
        'upstreamFailed',
        `Graph could not ${what} (${status}, ${error.code}): ${redact(error.message)}${unsure}`,
      );
    }
    throw error;
  }
}
