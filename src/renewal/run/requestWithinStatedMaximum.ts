import { redact } from '../../lib/redact';
import { GraphRequestError } from '../errors';
import { eventLine } from '../events';
import { statedMaximumMinutes, targetWithinStatedMaximum } from '../policy/expiration';
import type { LifetimeSubject } from '../policy/graphRules';
import type { RenewalContext } from './renewalContext';

/**
 * Sends `request` for `target`; when Graph refuses it as beyond its maximum (400, "can only be N
 * minutes in the future") asks once more within the maximum Graph stated, from Graph's own clock.
 * That happens when Graph's clock is behind ours by more than the safety margin, or when Graph's
 * maximum for a kind of resource is lower than the rules say (Microsoft lowered it): then the stated
 * maximum is learnt for the kind, kept in the run history, and every later renewal asks within it
 * at once, rather than being refused first every day. A 400 means nothing changed on Graph, so
 * asking again is safe.
 */
export async function requestWithinStatedMaximum<T>(
  request: (expiration: Date) => Promise<T>,
  target: Date,
  subject: LifetimeSubject,
  context: Pick<RenewalContext, 'log' | 'now' | 'policy' | 'rules' | 'learntMaxima'>,
  fields: { runId: string; subscriptionId: string; resource: string; tenantId: string },
): Promise<T> {
  try {
    return await request(target);
  } catch (error) {
    const maxMinutes =
      error instanceof GraphRequestError && error.statusCode === 400 ? statedMaximumMinutes(error.message) : undefined;
    if (maxMinutes === undefined || !(error instanceof GraphRequestError)) throw error;
    const graphNow = error.serverTime ?? context.now();
    const retry = targetWithinStatedMaximum(maxMinutes, graphNow, context.policy.lifetimeHours);
    context.log.warn(
      eventLine(
        `Graph refused ${target.toISOString()} for ${fields.resource} as beyond its maximum of ${maxMinutes} minutes ` +
          `(Graph's clock: ${graphNow.toISOString()}, ours: ${context.now().toISOString()}); asking for ${retry.toISOString()} instead.`,
        {
          event: 'graphMaximumLower',
          ...fields,
          maxMinutes,
          requested: target.toISOString(),
          retry: retry.toISOString(),
          graphTime: graphNow.toISOString(),
        },
      ),
    );
    await learn(maxMinutes, subject, context, fields);
    return request(retry);
  }
}

/** Keeps a stated maximum below the rules' for the subscription's kind; a failure to record it only costs a refusal next time. */
async function learn(
  maxMinutes: number,
  subject: LifetimeSubject,
  context: Pick<RenewalContext, 'log' | 'now' | 'rules' | 'learntMaxima'>,
  fields: { runId: string; subscriptionId: string; resource: string; tenantId: string },
): Promise<void> {
  const lifetime = context.rules.lifetimeOf(subject);
  // Nothing to learn when Graph states what this subscription was already held to (its clock is behind
  // ours, or a Teams cap without a lifecycle URL), nor for a resource no rule names: one unknown
  // resource's maximum says nothing of another's (GRAPH_MAX_LIFETIMES takes a pattern for it).
  if (maxMinutes >= lifetime.maxMinutes || !lifetime.known) return;
  const learnt = context.rules.learn({
    key: lifetime.key,
    maxMinutes,
    configuredMinutes: lifetime.configuredMinutes,
    learntAt: context.now(),
    subscriptionId: fields.subscriptionId,
  });
  if (!learnt) return;
  let unrecorded = '';
  try {
    await context.learntMaxima?.save(learnt);
  } catch (error) {
    unrecorded = ` It could not be recorded (${redact((error as Error).message)}): the next run learns it again.`;
  }
  context.log.warn(
    eventLine(
      `Graph's maximum for ${lifetime.key} subscriptions is ${maxMinutes} minutes, not the ${lifetime.configuredMinutes} the rules say: ` +
        `renewals ask within it from now on (set GRAPH_MAX_LIFETIMES to ${lifetime.key}=${maxMinutes} to make it a rule).${unrecorded}`,
      {
        event: 'graphMaximumLearnt',
        ...fields,
        kind: lifetime.key,
        maxMinutes,
        configuredMinutes: lifetime.configuredMinutes,
      },
    ),
  );
}
