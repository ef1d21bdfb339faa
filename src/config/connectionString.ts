import { isLoopback } from '../lib/loopback';
import { ConfigError } from './configError';
import { type Env, present } from './env';
import { parseUrl } from './url';

/** Which storage service a connection string is for: it names that service's endpoint key. */
export type StorageService = 'Table' | 'Queue';

/**
 * The one reader of storage connection strings: undefined when unset, the trimmed value when it looks
 * like one (Azurite's shorthand, or one naming the account or the service's endpoint), a ConfigError
 * otherwise. The value holds an account key: no message ever echoes it. The SDK's own parser checks the
 * rest when the client is built (compositionRoot/services.ts): loading the SDK here would put it on every
 * function's start-up path.
 */
export function readConnectionString(env: Env, setting: string, service: StorageService): string | undefined {
  const value = env[setting];
  if (!present(value)) return undefined;
  const trimmed = value.trim();
  if (
    trimmed !== 'UseDevelopmentStorage=true' &&
    !new RegExp(`(^|;)\\s*(AccountName|${service}Endpoint)\\s*=`, 'i').test(trimmed)
  ) {
    throw new ConfigError(
      setting,
      `is not a storage connection string (expected "UseDevelopmentStorage=true" or one with AccountName/${service}Endpoint).`,
    );
  }
  return trimmed;
}

/** True when the connection string points at Azurite, which speaks http on loopback; anything else must be https. */
export function usesLoopbackHttp(connectionString: string, service: StorageService): boolean {
  if (/UseDevelopmentStorage\s*=\s*true/i.test(connectionString)) return true;
  const endpoint = new RegExp(`(?:^|;)\\s*${service}Endpoint\\s*=\\s*([^;]+)`, 'i').exec(connectionString)?.[1];
  if (!endpoint) return false;
  const url = parseUrl(endpoint.trim());
  return url !== undefined && url.protocol === 'http:' && isLoopback(url.hostname);
}
