import { spawn, type ChildProcess } from 'node:child_process';
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
  /** With a certificate Azurite speaks HTTPS and also accepts Entra bearer tokens. */
  tls?: { certPath: string; keyPath: string };
}

/** Starts Azurite's table service in a child process; port 0 (the default) picks a free one. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const script = fileURLToPath(new URL('./azuriteTableServer.cjs', import.meta.url));
  const args = [script, String(options.port ?? 0), options.tls?.certPath ?? '', options.tls?.keyPath ?? ''];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const line = await firstLine(child);
  if (!line) throw new Error(`Azurite did not start: ${stderr || 'no output'}`);
  const url = (JSON.parse(line) as { url: string }).url;
  const actualPort = Number(new URL(url).port);
  return {
    url,
    port: actualPort,
    connectionString: connectionStringFor(actualPort, options.tls ? 'https' : 'http'),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export function connectionStringFor(port: number, protocol: 'http' | 'https' = 'http'): string {
  return `DefaultEndpointsProtocol=${protocol};AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};TableEndpoint=${protocol}://127.0.0.1:${port}/${ACCOUNT};`;
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
