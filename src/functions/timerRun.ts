import type { InvocationContext, Timer } from '@azure/functions';
import { loadConfig } from '../config';
import { redact } from '../lib/redact';
import { ALL_TENANTS, eventLine } from '../renewal/events';
import type { RunScope } from '../renewal/policy/cadence';
import { type RenewalRunInput, runRenewal } from '../renewal/run/run';

/**
 * What both renewal timers do when they fire: read the settings, make sure the tables exist, run the
 * renewal for their own subscriptions (`scope`), and fail the invocation when the run failed, so
 * Application Insights counts it. Shared by renewSubscriptions (daily) and renewShortLivedSubscriptions.
 */
export async function renewOnTimer(
  timer: Timer,
  context: InvocationContext,
  scope: Exclude<RunScope, 'any'>,
): Promise<void> {
  if (timer.isPastDue) {
    context.warn('Timer is past due: a scheduled check was missed (app stopped or restarting); checking now.');
  }
  let input: RenewalRunInput;
  try {
    input = await prepareRun(timer, context, scope);
  } catch (error) {
    // Nothing ran: say why (a setting, the tables, the clock), and fail the invocation.
    const message = redact(error instanceof Error ? error.message : String(error));
    context.error(
      eventLine(`Renewal check could not run: ${message}`, {
        event: 'runNotStarted',
        tenantId: ALL_TENANTS,
        error: message,
      }),
    );
    throw new Error(message);
  }
  // From here the run logs and records its own outcome, failures included.
  const result = await runRenewal(input).catch((error: unknown) => {
    throw new Error(redact(error instanceof Error ? error.message : String(error)));
  });
  // A failed run marks the invocation failed too, so Application Insights counts it as a failure.
  if (result.outcome === 'failed')
    throw new Error(`Renewal run failed: ${result.error ?? 'no subscription could be renewed'}`);
}

/** Reads the settings, makes sure the tables exist and works out the schedule: what a run needs. */
async function prepareRun(
  timer: Timer,
  context: InvocationContext,
  scope: Exclude<RunScope, 'any'>,
): Promise<RenewalRunInput> {
  // Loaded on first use, not at start-up: the SDKs stay off the host's start-up path (docs/performance.md, cold start).
  const { timerRunInputFor } = await import('../compositionRoot.js');
  const config = loadConfig();
  const input = await timerRunInputFor(config, context, { isPastDue: timer.isPastDue, scope });
  warnIfHostDisagrees(timer, input.nextRunAt, config.schedule.timeZone, context);
  return input;
}

/**
 * Linux Consumption and Flex Consumption ignore WEBSITE_TIME_ZONE and run timers in UTC
 * (azure-functions/functions-bindings-timer, "NCRONTAB time zones"): the host's own idea of the next
 * run then differs from ours by the UTC offset. Say so.
 */
function warnIfHostDisagrees(timer: Timer, nextRunAt: Date, timeZone: string, context: InvocationContext): void {
  const next = timer.scheduleStatus?.next;
  // Only a time with an explicit zone can be compared; the host writes its local time otherwise.
  if (!next || !/(Z|[+-]\d{2}:\d{2})$/.test(next)) return;
  const hostNext = Date.parse(next);
  if (Number.isNaN(hostNext) || Math.abs(hostNext - nextRunAt.getTime()) < 5 * 60_000) return;
  context.warn(
    `The host schedules the next check at ${new Date(hostNext).toISOString()}, but WEBSITE_TIME_ZONE (${timeZone}) puts it at ` +
      `${nextRunAt.toISOString()}: this plan may ignore WEBSITE_TIME_ZONE (Linux Consumption and Flex Consumption run timers in UTC).`,
  );
}
