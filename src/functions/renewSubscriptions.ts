import { app, type InvocationContext, type Timer } from '@azure/functions';
import { RENEWAL_FUNCTION_NAME, RENEWAL_SCHEDULE } from '../renewal/policy/schedule';
import { renewOnTimer } from './timerRun';

/** The daily check: renews every stored subscription that would expire before the next check plus the margin. */
export async function renewSubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  await renewOnTimer(timer, context, 'daily');
}

app.timer(RENEWAL_FUNCTION_NAME, {
  schedule: RENEWAL_SCHEDULE,
  // Persist the schedule in storage so an occurrence missed while the app was down runs late (isPastDue):
  // this replaces the seed's "check one minute after start-up".
  useMonitor: true,
  // Fires on every restart and scale-out; advised against in production (functions-bindings-timer.md).
  runOnStartup: false,
  handler: renewSubscriptions,
});
