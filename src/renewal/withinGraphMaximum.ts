import { GraphRequestError } from '../graph/errors';
import { eventLine } from './events';
import { statedMaximumMinutes, targetWithinStatedMaximum } from './policy';
import type { RenewalContext } from './renewSubscription';

/**
 * Sends `request` for `target`; when Graph refuses it as beyond its maximum (400, "can only be N
 * minutes in the future") asks once more within the maximum Graph stated, from Graph's own clock.
 * That happens when Graph's clock is behind ours by more than the safety margin, or when Graph's
 * maximum for a resource is lower than our table says; either way a subscription would otherwise
 * go unrenewed day after day. A 400 means nothing changed on Graph, so asking again is safe.
 */
export async function withinGraphMaximum<T>(
  request: (expiration: Date) => Promise<T>,
  target: Date,
  context: Pick<RenewalContext, 'log' | 'now' | 'policy'>,
  fields: { runId: string; subscriptionId: string; resource: string },
): Promise<T> {
  try {
    return await request(target);
  } catch (error) {
    const maxMinutes = error instanceof GraphRequestError && error.statusCode === 400 ? statedMaximumMinutes(error.message) : undefined;
    if (maxMinutes === undefined || !(error instanceof GraphRequestError)) throw error;
    const graphNow = error.serverTime ?? context.now();
    const retry = targetWithinStatedMaximum(maxMinutes, graphNow, context.policy.lifetimeHours);
    context.log.warn(
      eventLine(
        `Graph refused ${target.toISOString()} for ${fields.resource} as beyond its maximum of ${maxMinutes} minutes ` +
          `(Graph's clock: ${graphNow.toISOString()}, ours: ${context.now().toISOString()}); asking for ${retry.toISOString()} instead.`,
        { event: 'graphMaximumLower', ...fields, maxMinutes, requested: target.toISOString(), retry: retry.toISOString(), graphTime: graphNow.toISOString() },
      ),
    );
    return request(retry);
  }
}
