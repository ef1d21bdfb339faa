import { appendRecord } from './record';

/**
 * The secrets the suite hands the app (client states, bearer tokens, storage account keys) and
 * everything the app says (log lines, HTTP response bodies, CLI output), gathered over the whole
 * run so the reporter can prove no secret ever appears in what the app says.
 */
export type SecretKind = 'clientState' | 'bearerToken' | 'accountKey' | 'connectionString' | 'identityHeader';

const watched = new Set<string>();

/** Remembers `value` as a secret the app must never print. */
export function watchSecret(kind: SecretKind, value: string | undefined): void {
  if (!value || watched.has(value)) return;
  watched.add(value);
  appendRecord('secrets', JSON.stringify({ kind, value }));
}

/** Records something the app said (`source`: log, response, cli…), for the scan at the end of the run. */
export function captureOutput(source: string, text: string): void {
  if (text === '') return;
  appendRecord('output', JSON.stringify({ source, text }));
}

/** The account key in a storage connection string, and the whole string, as secrets. */
export function watchConnectionString(connectionString: string | undefined): void {
  if (!connectionString) return;
  watchSecret('connectionString', connectionString);
  watchSecret('accountKey', /AccountKey=([^;]+)/i.exec(connectionString)?.[1]);
}
