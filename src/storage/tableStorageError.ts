// No SDK import here: what the table SDK threw, said as the domain's TableStorageError (renewal/errors.ts).
import { TableStorageError } from '../renewal/errors';

// Node's codes for "no answer from the service at all".
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * The SDK's error as an operator reads it: which table, and what to do. The SDK alone says
 * "connect ECONNREFUSED 127.0.0.1:10002" or a JSON body with "TableNotFound", naming neither.
 */
export function explainTableError(error: unknown, table: string): unknown {
  if (error instanceof TableStorageError || typeof error !== 'object' || error === null) return error;
  // The identity's own error (no token for the tables) already says what is wrong and what to check.
  if (
    /^(CredentialUnavailableError|AuthenticationError|AggregateAuthenticationError|AuthenticationRequiredError)$/.test(
      String((error as Error).name),
    )
  )
    return error;
  const { statusCode, code, message } = error as { statusCode?: number; code?: string; message?: string };
  const text = String(message ?? '');
  if (statusCode === 404 && (code === 'TableNotFound' || text.includes('TableNotFound'))) {
    return new TableStorageError(
      `The table "${table}" does not exist (deleted, or not provisioned): run "azd provision" to create it, or let the next run or request create it empty. ` +
        `If it held subscriptions, "adopt" (npm run ops -- adopt) stores the app's Graph subscriptions again.`,
      table,
      statusCode,
      'TableNotFound',
      true,
    );
  }
  const cause = code ?? /\b(E[A-Z]{4,})\b/.exec(text)?.[1];
  if (statusCode === undefined && cause !== undefined && UNREACHABLE.has(cause)) {
    return new TableStorageError(
      `The table service holding "${table}" could not be reached (${cause}): is the storage account up and reachable (Azurite running, locally)?`,
      table,
      undefined,
      cause,
    );
  }
  if (statusCode === 403) {
    return new TableStorageError(
      `The table service refused access to "${table}" (status 403, ${code ?? 'Forbidden'}): check the app's role on the storage account (Storage Table Data Contributor) or its key.`,
      table,
      statusCode,
      code,
    );
  }
  // Anything else keeps the service's own words, with the table named.
  const first = text.split('\n')[0]!.slice(0, 300);
  return new TableStorageError(
    `Table "${table}": ${statusCode ? `status ${statusCode}, ` : ''}${first || 'unknown error'}`,
    table,
    statusCode,
    code,
  );
}
