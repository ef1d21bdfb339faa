import { app, type InvocationContext, type Timer } from '@azure/functions';
import { loadConfig } from '../config';
import { redact } from '../lib/redact';
import { CENSUS_FUNCTION_NAME, CENSUS_SCHEDULE } from '../renewal/policy/schedule';

/**
 * Every 15 minutes: reads every subscription row once and stores the census the status, the health
 * answer and the status page read (src/status/runCensus.ts), so none of them reads the whole table.
 * Not the renewal run's job: a run reads only what may be due.
 */
export async function subscriptionCensus(_timer: Timer, context: InvocationContext): Promise<void> {
  try {
    // Loaded on first use, not at start-up (docs/performance.md, cold start).
    const { censusInputFor } = await import('../compositionRoot.js');
    const { runCensus } = await import('../renewal/status/runCensus.js');
    await runCensus(await censusInputFor(loadConfig(), context));
  } catch (error) {
    // The stored summary ages; past two intervals the status says the census is not running.
    const message = redact(error instanceof Error ? error.message : String(error));
    context.error(`Census could not be taken: ${message}`);
    throw new Error(message);
  }
}

app.timer(CENSUS_FUNCTION_NAME, {
  schedule: CENSUS_SCHEDULE,
  // A census missed while the app was down is taken late rather than waiting 15 minutes more.
  useMonitor: true,
  runOnStartup: false,
  handler: subscriptionCensus,
});
