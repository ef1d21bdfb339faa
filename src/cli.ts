/**
 * `npm run ops -- <command>`: the manual operations from a terminal, for people without the portal.
 * Same module and same settings as the HTTP functions: the environment, completed by the Values of
 * local.settings.json when there is one (as `func start` would read them).
 *
 *   npm run ops -- list [--limit N] [--continuation T] [--partition P] [--state active|expired]
 *                       [--expiring-within H] [--failing]
 *   npm run ops -- register [--resource R] [--change-type created,updated] [--notification-url U]
 *                           [--lifecycle-url U] [--partition P]
 *   npm run ops -- adopt [--partition P] [--missing]
 *   npm run ops -- remove <subscription-id>
 *   npm run ops -- renew [<subscription-id>] [--force]
 *   npm run ops -- update <subscription-id> | --partition P  [--notification-url U] [--certificate C --certificate-id I]
 *   npm run ops -- tenant add <tenant-id> [--name N] | tenant list | tenant remove <tenant-id>
 *   (register, adopt, list, remove and renew take --tenant <tenant-id>: a customer tenant's subscriptions)
 */
import { existsSync, readFileSync } from 'node:fs';
import { operationsInputFor } from './compositionRoot';
import { ConfigError, loadConfig } from './config';
import { updateReportBody } from './functions/httpStatus';
import { redact } from './lib/redact';
import { listSubscriptionsPage, readListQuery } from './operations/listPage';
import { OperationError } from './operations/operationError';
import { adopt, register, remove, renewNow } from './operations/operations';
import type { OperationsInput } from './operations/operationsInput';
import { addTenant, listTenants, removeTenant } from './operations/tenants';
import { update } from './operations/update';

const USAGE = `usage: npm run ops -- <command>
  list [--limit N] [--continuation T] [--partition P] [--state active|expired] [--expiring-within H] [--failing]
                                         the stored subscriptions: every page, or with --limit one page and
                                         its continuation (pass it back with --continuation for the next)
  register [--resource R] [--change-type T] [--notification-url U] [--lifecycle-url U] [--partition P]
                                         create a subscription on Graph and store it
  adopt [--partition P] [--missing]      store the app's Graph subscriptions the table does not know
                                         (--missing: also list stored ones Graph no longer has; reads every row)
  remove <id>                            delete a subscription on Graph, then its row
  renew [<id>] [--force]                 renew now: one subscription or all due ones (--force: even if not due)
  update <id> | --partition P [--notification-url U] [--certificate C --certificate-id I]
                                         move delivery or rotate the rich-notification key, without recreating
  tenant add <tenant-id> [--name N]      add a customer tenant once its admin has consented (else: the consent URL)
  tenant list                            the home tenant and the customer tenants, with their health
  tenant remove <tenant-id>              delete a tenant's subscriptions on Graph, then its rows, then the tenant
  --tenant <tenant-id>                   on register, adopt, list, remove, renew: a customer tenant (list: or home)`;

const COMMANDS = new Set(['list', 'register', 'adopt', 'remove', 'renew', 'update', 'tenant']);

const FLAGS: Record<string, string> = {
  '--resource': 'resource',
  '--change-type': 'changeType',
  '--notification-url': 'notificationUrl',
  '--lifecycle-url': 'lifecycleNotificationUrl',
  '--partition': 'partitionKey',
  '--certificate': 'encryptionCertificate',
  '--certificate-id': 'encryptionCertificateId',
  '--limit': 'limit',
  '--continuation': 'continuation',
  '--state': 'state',
  '--expiring-within': 'expiringWithinHours',
  '--tenant': 'tenant',
  '--name': 'displayName',
};
const SWITCHES: Record<string, string> = { '--force': 'force', '--failing': 'failing', '--missing': 'missing' };

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
    if (arg in SWITCHES) options[SWITCHES[arg]!] = true;
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
    const input = operationsInputFor(loadConfig(), log);
    let result: unknown;
    switch (command) {
      case 'list':
        await listCommand(input, options);
        return 0;
      case 'register': {
        const { tenant, ...fields } = options;
        result = await register(input, { ...fields, ...(tenant !== undefined ? { tenantId: tenant } : {}) });
        break;
      }
      case 'adopt':
        result = await adopt(input, typeof options.partitionKey === 'string' ? options.partitionKey : undefined, {
          reportMissing: options.missing === true,
          tenant: stringOption(options.tenant),
        });
        break;
      case 'remove':
        if (positional.length !== 1) return usage('remove takes one subscription id.');
        result = await remove(input, positional[0]!, stringOption(options.tenant));
        break;
      case 'tenant': {
        const [action, id, ...extra] = positional;
        if (action === 'list' && id === undefined) result = await listTenants(input);
        else if (action === 'add' && id !== undefined && extra.length === 0)
          result = await addTenant(input, { tenantId: id, displayName: stringOption(options.displayName) });
        else if (action === 'remove' && id !== undefined && extra.length === 0) {
          const report = await removeTenant(input, id);
          await write(`${JSON.stringify(report, null, 2)}\n`);
          return report.tenant === 'kept' ? 1 : 0;
        } else return usage('tenant takes add <tenant-id> [--name N], list, or remove <tenant-id>.');
        break;
      }
      case 'update': {
        const { partitionKey, force: _force, ...changes } = options;
        if ((positional.length === 1) === (typeof partitionKey === 'string') || positional.length > 1) {
          return usage('update takes one subscription id, or --partition P for every subscription of a partition.');
        }
        const target = typeof partitionKey === 'string' ? { partitionKey } : { id: positional[0]! };
        const report = await update(input, target, changes);
        // As the HTTP answer shows it: each failure with the status a single update answers.
        await write(`${JSON.stringify(updateReportBody(report), null, 2)}\n`);
        return report.failed.length > 0 ? 1 : 0;
      }
      case 'renew': {
        if (positional.length > 1) return usage('renew takes at most one subscription id.');
        const run = await renewNow(input, {
          id: positional[0],
          force: options.force === true,
          ...(typeof options.tenant === 'string' ? { tenant: options.tenant } : {}),
        });
        await write(`${JSON.stringify(run, null, 2)}\n`);
        return run.outcome === 'failed' ? 1 : 0;
      }
    }
    await write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    // Every kind of failure (OperationError's kind, a setting) exits 1 with its message; a usage mistake exits 2.
    const message =
      error instanceof OperationError || error instanceof ConfigError
        ? error.message
        : redact(error instanceof Error ? error.message : String(error));
    console.error(`error: ${redact(message)}`);
    return 1;
  }
}

/**
 * One page (with --limit or --continuation), or every page written as it comes, as one JSON document:
 * memory stays flat at any size, and a slow reader (a pipe into jq) slows the reading, not the output.
 */
async function listCommand(input: OperationsInput, options: Record<string, string | boolean>): Promise<void> {
  const given = (name: string) =>
    typeof options[name] === 'string' ? [options[name]] : options[name] === true ? ['true'] : [];
  const query = readListQuery(given, new Date());
  if (options.limit !== undefined || options.continuation !== undefined) {
    await write(`${JSON.stringify(await listSubscriptionsPage(input, query), null, 2)}\n`);
    return;
  }
  query.limit = 1000;
  const malformed: unknown[] = [];
  let first = true;
  await write('{\n  "subscriptions": [');
  do {
    const page = await listSubscriptionsPage(input, query);
    malformed.push(...page.malformed);
    if (page.subscriptions.length > 0) {
      await write(
        `${first ? '' : ','}\n${page.subscriptions.map((view) => `    ${JSON.stringify(view)}`).join(',\n')}`,
      );
      first = false;
    }
    query.continuation = page.continuation ?? undefined;
  } while (query.continuation);
  await write(`\n  ],\n  "malformed": ${JSON.stringify(malformed)},\n  "continuation": null\n}\n`);
}

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Writes to stdout and waits until it is handed on: a pipe on POSIX is written asynchronously. */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}

/** Waits until what was written to `stream` (console.log, console.error) has left the process. */
async function flushed(stream: NodeJS.WriteStream): Promise<void> {
  for (let waited = 0; stream.writableLength > 0 && waited < 10_000; waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
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
  void main(process.argv.slice(2))
    .catch((error: unknown) => {
      console.error(`error: ${redact(error instanceof Error ? error.message : String(error))}`);
      return 1;
    })
    // process.exit would cut short what is still on its way to a pipe or a file: flushed first.
    .then(async (code) => {
      await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
      process.exit(code);
    });
}
