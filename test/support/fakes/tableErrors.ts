import { TableStorageError } from './underTest';

// The errors the Table adapter raises (every SDK error passes through src/storage/tableStorageError.ts),
// as they come: the service's answer in the message (the SDK error's own code is empty for these, so the
// TableStorageError's is too), the status kept. The contract tests check that both sides agree.

/** The service's error body, as the adapter's message quotes it. */
function serviceAnswer(table: string, status: number, code: string, text: string): string {
  return `Table "${table}": status ${status}, ${JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: text } } })}`;
}

/** A write to a row that is not there (deleted meanwhile): status 404, ResourceNotFound. */
export function rowNotFound(table: string): TableStorageError {
  return new TableStorageError(
    serviceAnswer(table, 404, 'ResourceNotFound', 'The specified resource does not exist.'),
    table,
    404,
    undefined,
  );
}

/** A row created where one exists already: status 409, EntityAlreadyExists. */
export function rowExists(table: string): TableStorageError {
  return new TableStorageError(
    serviceAnswer(table, 409, 'EntityAlreadyExists', 'The specified entity already exists.'),
    table,
    409,
    undefined,
  );
}

/** The table service could not be reached (what a test scripts for an outage). */
export function tableUnreachable(table: string): TableStorageError {
  return new TableStorageError(
    `The table service holding "${table}" could not be reached (ECONNREFUSED): is the storage account up and reachable (Azurite running, locally)?`,
    table,
    undefined,
    'ECONNREFUSED',
  );
}
