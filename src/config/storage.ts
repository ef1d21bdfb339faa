import { ConfigError } from './configError';
import { readConnectionString, usesLoopbackHttp } from './connectionString';
import { type Env, present } from './env';
import { endpointText, parseUrl, readServiceEndpoint } from './url';

/** Where the subscription and run tables live: a connection string (Azurite, keys) or an endpoint reached with the managed identity. */
export type StorageConfig =
  { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };

/** The table names and where they live. */
export interface TablesConfig {
  storage: StorageConfig;
  subscriptionsTable: string;
  runsTable: string;
  /** Lookups by id, the problems that need a person, and the stored census (src/storage/subscriptionIndex.ts). */
  indexTable: string;
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;

export function readTables(env: Env): TablesConfig {
  return {
    storage: readStorage(env),
    subscriptionsTable: readTableName(env, 'SUBSCRIPTIONS_TABLE', 'subscriptions'),
    runsTable: readTableName(env, 'RUNS_TABLE', 'renewalruns'),
    indexTable: readTableName(env, 'SUBSCRIPTION_INDEX_TABLE', 'subscriptionindex'),
  };
}

function readStorage(env: Env): StorageConfig {
  if (present(env.TABLES_CONNECTION_STRING) && present(env.TABLES_ENDPOINT)) {
    throw new ConfigError(
      'TABLES_ENDPOINT',
      'set either TABLES_ENDPOINT (identity-based access) or TABLES_CONNECTION_STRING, not both.',
    );
  }
  const url = readServiceEndpoint(env, 'TABLES_ENDPOINT', 'table');
  if (url) {
    if (url.search !== '' || url.username !== '' || url.password !== '') {
      // A SAS token there would be a secret in a plain setting: the identity needs none.
      throw new ConfigError(
        'TABLES_ENDPOINT',
        'must be the endpoint alone, without a query string or credentials; access uses the managed identity.',
      );
    }
    return { kind: 'endpoint', endpoint: endpointText(url) };
  }
  const connectionString = readConnectionString(env, 'TABLES_CONNECTION_STRING', 'Table');
  if (connectionString !== undefined) return { kind: 'connectionString', connectionString };
  throw new ConfigError(
    'TABLES_ENDPOINT',
    'no table storage configured: set TABLES_ENDPOINT to https://<account>.table.core.windows.net (managed identity) or TABLES_CONNECTION_STRING to "UseDevelopmentStorage=true" for Azurite.',
  );
}

export function readTableName(env: Env, setting: string, fallback: string): string {
  const value = env[setting];
  if (!present(value)) return fallback;
  const name = value.trim();
  if (!TABLE_NAME.test(name)) {
    throw new ConfigError(
      setting,
      `"${name}" is not a valid table name: use 3 to 63 letters and digits, starting with a letter (default "${fallback}").`,
    );
  }
  return name;
}

/**
 * Whether the table client may use http: only for a loopback emulator (Azurite), found in the
 * endpoint or in the connection string; anything else must be https.
 */
export function tablesAllowInsecureConnection(storage: StorageConfig): boolean {
  if (storage.kind === 'endpoint') return parseUrl(storage.endpoint)?.protocol === 'http:';
  return usesLoopbackHttp(storage.connectionString, 'Table');
}
