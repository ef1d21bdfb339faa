import { app, type InvocationContext, type Timer } from '@azure/functions';
import { SHORT_LIVED_FUNCTION_NAME, SHORT_LIVED_SCHEDULE } from '../renewal/policy/cadence';
import { renewOnTimer } from './timerRun';

/**
 * Every 10 minutes: renews the subscriptions a daily check cannot keep alive, those whose maximum
 * lifetime is under a day plus the margin (presence 60 minutes, Teams Shifts 360, Outlook with
 * resource data 1,440, or whatever GRAPH_MAX_LIFETIMES or Graph itself makes short). It reads only
 * those rows (marked `shortLived`, or expiring within the hour): with none, a run costs two table
 * queries and its record.
 */
export async function renewShortLivedSubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  await renewOnTimer(timer, context, 'short');
}

app.timer(SHORT_LIVED_FUNCTION_NAME, {
  schedule: SHORT_LIVED_SCHEDULE,
  // A run missed while the app was down runs late (isPastDue), as the daily one does.
  useMonitor: true,
  runOnStartup: false,
  handler: renewShortLivedSubscriptions,
});
