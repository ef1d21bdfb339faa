import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  url: string;
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  port?: number;
  /** Also start the queue service (in a second child process); the connection string then has its QueueEndpoint. */
  queues?: boolean;
  /** With a certificate Azurite speaks HTTPS and also accepts Entra bearer tokens. */
  tls?: { certPath: string; keyPath: string };
  /** Keep the tables in this directory instead of in memory: stopped and started again on the same port, Azurite still has them. */
  location?: string;
}

/** Starts Azurite's table service (and with `queues`, its queue service) in child processes; port 0 (the default) picks a free one. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const tables = await startService('./azuriteTableServer.cjs', [
    String(options.port ?? 0),
    options.tls?.certPath ?? '',
    options.tls?.keyPath ?? '',
    options.location ?? '',
  ]);
  const queues = options.queues
    ? await startService('./azuriteQueueServer.cjs', ['0']).catch(async (error: unknown) => {
        await tables.stop();
        throw error;
      })
    : undefined;
  const url = tables.url;
  const actualPort = Number(new URL(url).port);
  const queuePort = queues ? Number(new URL(queues.url).port) : undefined;
  return {
    url,
    port: actualPort,
    connectionString: connectionStringFor(actualPort, options.tls ? 'https' : 'http', queuePort),
    stop: async () => {
      await Promise.all([tables.stop(), queues?.stop()]);
    },
  };
}

async function startService(script: string, args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const line = await firstLine(child);
  if (!line) throw new Error(`Azurite did not start: ${stderr || 'no output'}`);
  return {
    url: (JSON.parse(line) as { url: string }).url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export function connectionStringFor(port: number, protocol: 'http' | 'https' = 'http', queuePort?: number): string {
  const queue = queuePort === undefined ? '' : `QueueEndpoint=http://127.0.0.1:${queuePort}/${ACCOUNT};`;
  return `DefaultEndpointsProtocol=${protocol};AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=${protocol}://127.0.0.1:${port}/${ACCOUNT};${queue}`;
}

/** The table endpoint of the emulator's account, for identity-based access (TABLES_ENDPOINT). */
export function tableEndpointFor(azurite: Azurite): string {
  return `${azurite.url}/${ACCOUNT}`;
}

async function firstLine(child: ChildProcess): Promise<string | undefined> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(() => undefined);
  const first = new Promise<string>((resolve) => lines.once('line', resolve));
  const result = await Promise.race([first, exited]);
  lines.close();
  return result;
}
