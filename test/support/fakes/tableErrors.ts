import { TableStorageError } from './underTest';

// The errors the Table adapter raises (every SDK error passes through src/storage/tableStorageError.ts),
// with the codes the table service answers with: the contract tests check that both sides agree.

/** A write to a row that is not there (deleted meanwhile): status 404, ResourceNotFound. */
export function rowNotFound(table: string): TableStorageError {
  return new TableStorageError(`Table "${table}": status 404, The specified resource does not exist.`, table, 404, 'ResourceNotFound');
}

/** A row created where one exists already: status 409, EntityAlreadyExists. */
export function rowExists(table: string): TableStorageError {
  return new TableStorageError(`Table "${table}": status 409, The specified entity already exists.`, table, 409, 'EntityAlreadyExists');
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
