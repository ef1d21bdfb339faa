/**
 * `npm run ops -- <command>`: the manual operations from a terminal, for people without the portal.
 * Same module and same settings as the HTTP functions: the environment, completed by the Values of
 * local.settings.json when there is one (as `func start` would read them).
 *
 *   npm run ops -- list
 *   npm run ops -- register [--resource R] [--change-type created,updated] [--notification-url U]
 *                           [--lifecycle-url U] [--partition P]
 *   npm run ops -- adopt [--partition P]
 *   npm run ops -- remove <subscription-id>
 *   npm run ops -- renew [<subscription-id>] [--force]
 *   npm run ops -- update <subscription-id> | --partition P  [--notification-url U] [--certificate C --certificate-id I]
 */
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config';
import { OperationError } from './operations/operationError';
import { adopt, list, register, remove, renewNow } from './operations/operations';
import { update } from './operations/update';
import { redact } from './redact';
import { servicesFor } from './wiring';

const USAGE = `usage: npm run ops -- <command>
  list                                   every stored subscription
  register [--resource R] [--change-type T] [--notification-url U] [--lifecycle-url U] [--partition P]
                                         create a subscription on Graph and store it
  adopt [--partition P]                  store the app's Graph subscriptions the table does not know
  remove <id>                            delete a subscription on Graph, then its row
  renew [<id>] [--force]                 renew now: one subscription or all due ones (--force: even if not due)
  update <id> | --partition P [--notification-url U] [--certificate C --certificate-id I]
                                         move delivery or rotate the rich-notification key, without recreating`;

const COMMANDS = new Set(['list', 'register', 'adopt', 'remove', 'renew', 'update']);

const FLAGS: Record<string, string> = {
  '--resource': 'resource',
  '--change-type': 'changeType',
  '--notification-url': 'notificationUrl',
  '--lifecycle-url': 'lifecycleNotificationUrl',
  '--partition': 'partitionKey',
  '--certificate': 'encryptionCertificate',
  '--certificate-id': 'encryptionCertificateId',
};

/** Console output as the operations log it: information to stderr, so stdout is only the JSON result. */
const log = {
  info: (...args: unknown[]) => console.error(...args),
  warn: (...args: unknown[]) => console.error(...args),
  error: (...args: unknown[]) => console.error(...args),
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const positional: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--force') options.force = true;
    else if (arg in FLAGS) {
      const value = rest[++i];
      if (value === undefined) return usage(`${arg} needs a value.`);
      options[FLAGS[arg]!] = value;
    } else if (arg.startsWith('--')) return usage(`unknown option ${arg}.`);
    else positional.push(arg);
  }

  if (!command || !COMMANDS.has(command)) return usage(command ? `unknown command "${command}".` : 'no command given.');
  loadLocalSettings();
  try {
    const services = servicesFor(loadConfig());
    let result: unknown;
    switch (command) {
      case 'list':
        result = await list(services);
        break;
      case 'register':
        result = await register(services, options, log);
        break;
      case 'adopt':
        result = await adopt(services, log, typeof options.partitionKey === 'string' ? options.partitionKey : undefined);
        break;
      case 'remove':
        if (positional.length !== 1) return usage('remove takes one subscription id.');
        result = await remove(services, positional[0]!, log);
        break;
      case 'update': {
        const { partitionKey, force: _force, ...changes } = options;
        if ((positional.length === 1) === (typeof partitionKey === 'string') || positional.length > 1) {
          return usage('update takes one subscription id, or --partition P for every subscription of a partition.');
        }
        const target = typeof partitionKey === 'string' ? { partitionKey } : { id: positional[0]! };
        const report = await update(services, target, changes, log);
        console.log(JSON.stringify(report, null, 2));
        return report.failed.length > 0 ? 1 : 0;
      }
      case 'renew': {
        if (positional.length > 1) return usage('renew takes at most one subscription id.');
        const run = await renewNow(services, log, { id: positional[0], force: options.force === true });
        console.log(JSON.stringify(run, null, 2));
        return run.outcome === 'failed' ? 1 : 0;
      }
    }
    console.log(JSON.stringify(result, null, 2));
    return 0;
  } catch (error) {
    const message = error instanceof OperationError || error instanceof ConfigError ? error.message : redact(error instanceof Error ? error.message : String(error));
    console.error(`error: ${redact(message)}`);
    return 1;
  }
}

function usage(problem: string): number {
  console.error(`error: ${problem}\n${USAGE}`);
  return 2;
}

/** The Values of local.settings.json, for settings the environment does not already give. */
function loadLocalSettings(): void {
  const file = 'local.settings.json';
  if (!existsSync(file)) return;
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  for (const [name, value] of Object.entries(values)) {
    if (process.env[name] === undefined && typeof value === 'string') process.env[name] = value;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`error: ${redact(error instanceof Error ? error.message : String(error))}`);
      process.exit(1);
    },
  );
}
