import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { isLoopback } from '../loopback';

/** Where the subscription and run tables live: a connection string (Azurite, keys) or an endpoint reached with the managed identity. */
export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'endpoint'; endpoint: string };

/** A client for `table`, by connection string (Azurite, account keys) or by endpoint and identity. */
export function createTableClient(storage: StorageConfig, table: string, credential: TokenCredential): TableClient {
  if (storage.kind === 'endpoint') {
    return new TableClient(storage.endpoint, table, credential, {
      allowInsecureConnection: new URL(storage.endpoint).protocol === 'http:',
    });
  }
  return TableClient.fromConnectionString(storage.connectionString, table, {
    // Azurite speaks http on loopback; anything else must be https.
    allowInsecureConnection: usesLoopbackHttp(storage.connectionString),
  });
}

function usesLoopbackHttp(connectionString: string): boolean {
  if (/UseDevelopmentStorage\s*=\s*true/i.test(connectionString)) return true;
  const endpoint = /(?:^|;)\s*TableEndpoint\s*=\s*([^;]+)/i.exec(connectionString)?.[1];
  if (!endpoint) return false;
  try {
    const url = new URL(endpoint.trim());
    return url.protocol === 'http:' && isLoopback(url.hostname);
  } catch {
    return false;
  }
}

/** True for the table service's "someone else changed this row" answer (stale ETag). */
export function isConflict(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 412;
}
