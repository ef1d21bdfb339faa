/**
 * Runs the renewal timer once in a process of its own, as the Functions host would, with the
 * settings of the environment: a test can kill it mid-run (SIGKILL: no finally, no clean-up).
 * Log lines go to stdout, one a line, prefixed with their level.
 */
import { format } from 'node:util';
import { InvocationContext } from '@azure/functions';
import { renewSubscriptions } from '../../src/functions/renewSubscriptions';

const context = new InvocationContext({
  functionName: 'renewSubscriptions',
  invocationId: `child-${process.pid}`,
  logHandler: (level, ...args) => process.stdout.write(`${level}: ${format(...args)}\n`),
});
renewSubscriptions(
  { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
  context,
).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
