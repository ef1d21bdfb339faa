import { ConfigError } from './configError';
import { readConnectionString } from './connectionString';
import { type Env, present } from './env';
import { endpointText, readServiceEndpoint } from './url';

/** The host's storage (AzureWebJobsStorage), where the queue-triggered function reads the hand-off queue. */
export interface QueueConfig {
  storage: { kind: 'connectionString'; connectionString: string } | { kind: 'endpoint'; endpoint: string };
  name: string;
}

// Queue names: 3-63 lowercase letters, digits and single hyphens; room left for the host's "-poison".
const QUEUE_NAME = /^(?=.{3,56}$)[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The hand-off queue lives in the host's own storage (AzureWebJobsStorage), because that is where the
 * queue trigger reads it: a connection string (Azurite, keys) or the identity-based queue service URI.
 * Neither set: no hand-off, a run out of time leaves the rest for the next run.
 */
export function readQueue(env: Env): QueueConfig | undefined {
  const value = env.RENEWAL_QUEUE;
  const name = present(value) ? value.trim() : 'subscription-renewals';
  if (!QUEUE_NAME.test(name)) {
    throw new ConfigError(
      'RENEWAL_QUEUE',
      `"${name}" is not a valid queue name: use 3 to 56 lowercase letters, digits and single hyphens (the host adds "-poison" for its poison queue).`,
    );
  }
  const url = readServiceEndpoint(env, 'AzureWebJobsStorage__queueServiceUri', 'queue');
  if (url) return { name, storage: { kind: 'endpoint', endpoint: endpointText(url) } };
  const connectionString = readConnectionString(env, 'AzureWebJobsStorage', 'Queue');
  if (connectionString === undefined) return undefined;
  return { name, storage: { kind: 'connectionString', connectionString } };
}
