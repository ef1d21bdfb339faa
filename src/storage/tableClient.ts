import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { TableStorageError } from '../renewal/errors';
import { explainTableError } from './tableStorageError';

/** Where the subscription and run tables live: a connection string (Azurite, keys) or an endpoint reached with the managed identity. */
export type StorageConfig =
  { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };

/**
 * A client for `table`, by connection string (Azurite, account keys) or by endpoint and identity.
 * `allowInsecureConnection`: the configuration found a loopback emulator that speaks http (config/).
 */
export function createTableClient(
  storage: StorageConfig,
  table: string,
  credential: TokenCredential,
  options: { allowInsecureConnection: boolean },
): TableClient {
  if (storage.kind === 'endpoint') return new TableClient(storage.endpoint, table, credential, options);
  return TableClient.fromConnectionString(storage.connectionString, table, options);
}

/** True for the table service's "someone else changed this row" answer (stale ETag). */
export function isConflict(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 412;
}

/**
 * Creates the table when it does not exist, once per client: every timer run and every status call
 * (the availability test makes three every five minutes) would otherwise pay a round trip for it.
 * A failed attempt is forgotten, so the next call tries again; so is a success once the table is
 * found missing (deleted while this instance was warm), so the next run or request creates it again.
 */
export function createTableOnce(table: TableClient): (() => Promise<void>) & { forget(): void } {
  let created: Promise<void> | undefined;
  const ensure = () =>
    (created ??= table.createTable().catch((error: unknown) => {
      created = undefined;
      throw error;
    }));
  return Object.assign(ensure, { forget: () => (created = undefined) });
}

/**
 * A table whose every error is explained (explainingErrors) and that is created when missing, once
 * (createTableOnce), and again once found missing.
 */
export function explainedTable(client: TableClient): { table: TableClient; ensureExists: () => Promise<void> } {
  const table = explainingErrors(client, () => once.forget());
  const once = createTableOnce(table);
  return { table, ensureExists: once };
}

type Paged = AsyncIterableIterator<unknown> & { byPage?: (settings?: unknown) => AsyncIterableIterator<unknown> };

/** Every error the client throws, explained (explainTableError): promises and paged listings alike. */
export function explainingErrors(client: TableClient, onMissing?: () => void | Promise<void>): TableClient {
  const table = client.tableName;
  const explain = async (error: unknown) => {
    const explained = explainTableError(error, table);
    // Awaited, so that whatever follows the failed call sees what forgetting the table changed.
    if (explained instanceof TableStorageError && explained.tableMissing)
      await Promise.resolve(onMissing?.()).catch(() => undefined);
    throw explained;
  };
  const iterator = (inner: AsyncIterableIterator<unknown>): AsyncIterableIterator<unknown> => ({
    next: (...args: [] | [unknown]) => inner.next(...args).catch(explain),
    return: (value?: unknown) =>
      inner.return ? inner.return(value).catch(explain) : Promise.resolve({ done: true as const, value }),
    [Symbol.asyncIterator]() {
      return this;
    },
  });
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) return result.catch(explain);
        if (result !== null && typeof result === 'object' && typeof (result as Paged).byPage === 'function') {
          const paged = result as Paged;
          return Object.assign(iterator(paged), { byPage: (settings?: unknown) => iterator(paged.byPage!(settings)) });
        }
        return result;
      };
    },
  });
}
