import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { loadConfig } from '../config';
import { redact } from '../redact';
import { forEachConcurrently } from '../renewal/concurrently';
import { eventLine } from '../renewal/events';
import { renewSubscription, type RenewalContext } from '../renewal/renewSubscription';
import { runIntervalMs } from '../renewal/schedule';
import { servicesFor, type Services } from '../wiring';
import { keep } from './backlog';
import { parseNotifications, type LifecycleItem } from './payload';
import { sameSecret } from './sameSecret';

/** Graph wants a 2xx within 3 s; answer by then, and let longer work (a recreation) go on. */
export const ANSWER_WITHIN_MS = 2000;
const TABLE_CONCURRENCY = 8;

/**
 * Acts on a batch of lifecycle notifications. Each item must carry our client state and name a
 * stored subscription, otherwise it is ignored with a warning. What it asks for is first recorded
 * on the row (so the next renewal run does it if this instance dies), then done:
 * reauthorizationRequired -> PATCH (renews and reauthorizes; a reauthorize call is never sent, so
 * never within 10 minutes of a PATCH), subscriptionRemoved -> recreate, missed -> recorded and reported.
 */
export async function handleLifecycle(body: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const parsed = parseNotifications(body);
  if (typeof parsed === 'string') return { status: 400, jsonBody: { success: false, error: parsed } };
  const runId = `lifecycle-${context.invocationId}`;
  const ignore = (reason: string, subscriptionId?: string) =>
    context.warn(
      eventLine(`Lifecycle notification ignored${subscriptionId ? ` (subscription ${subscriptionId})` : ''}: ${reason}`, {
        event: 'lifecycleIgnored',
        invocationId: context.invocationId,
        subscriptionId,
        reason,
      }),
    );
  for (const rejected of parsed.rejected) ignore(`item ${rejected.index} has ${rejected.reason}.`, rejected.subscriptionId);

  let services: Services;
  try {
    services = servicesFor(loadConfig());
    await services.subscriptions.ensureExists();
  } catch (error) {
    // Graph retries a notification that did not get a 2xx: worth it once the setting is fixed.
    const message = redact(error instanceof Error ? error.message : String(error));
    context.error(`Lifecycle notifications could not be handled: ${message}`);
    return { status: 503, jsonBody: { success: false, error: 'The app is misconfigured; see its logs.' } };
  }
  const clientState = services.config.webhook.clientState;
  if (!clientState) {
    context.error('Lifecycle notifications ignored: WEBHOOK_CLIENT_STATE is not set, so none can be verified. Set it to the client state the subscriptions were created with.');
    return { status: 202 };
  }

  const renewal: RenewalContext = {
    store: services.subscriptions,
    graph: services.graph,
    log: context,
    policy: services.config.renewal,
    intervalMs: runIntervalMs(services.config.schedule.cron, services.config.schedule.timeZone, new Date()),
    now: () => new Date(),
    clientState,
  };
  const graphWork: Promise<unknown>[] = [];
  await forEachConcurrently(parsed.items, TABLE_CONCURRENCY, async (item) => {
    if (!sameSecret(item.clientState, clientState)) {
      ignore('its clientState does not match WEBHOOK_CLIENT_STATE.', item.subscriptionId);
      return;
    }
    try {
      const next = await record(item, renewal, runId, context, ignore);
      if (next) graphWork.push(next.work);
    } catch (error) {
      context.error(`Lifecycle notification for subscription ${item.subscriptionId} could not be recorded: ${redact((error as Error).message)}`);
    }
  });

  const all = Promise.allSettled(graphWork);
  keep(all);
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, ANSWER_WITHIN_MS).unref())]);
  return { status: 202 };
}

/** Records what `item` asks for on its row; resolves with the Graph work that follows, if any (not awaited). */
async function record(
  item: LifecycleItem,
  renewal: RenewalContext,
  runId: string,
  context: InvocationContext,
  ignore: (reason: string, subscriptionId?: string) => void,
): Promise<{ work: Promise<unknown> } | undefined> {
  const { store } = renewal;
  const subscription = await store.find(item.subscriptionId);
  if (!subscription) {
    ignore('no stored subscription has this id (register or adopt it first).', item.subscriptionId);
    return undefined;
  }
  const now = new Date();
  context.info(
    eventLine(`Lifecycle notification ${item.lifecycleEvent} for subscription ${subscription.id} (resource ${subscription.resource}).`, {
      event: 'lifecycleReceived',
      invocationId: context.invocationId,
      subscriptionId: subscription.id,
      lifecycleEvent: item.lifecycleEvent,
    }),
  );
  switch (item.lifecycleEvent) {
    case 'missed':
      await store.recordMissed(subscription, now);
      context.error(
        eventLine(
          `Graph could not deliver some change notifications for subscription ${subscription.id} (resource ${subscription.resource}): the consumer must resync with a delta query.`,
          { event: 'notificationsMissed', invocationId: context.invocationId, subscriptionId: subscription.id, resource: subscription.resource },
        ),
      );
      return undefined;
    case 'reauthorizationRequired':
    case 'subscriptionRemoved': {
      await store.recordPending(subscription, item.lifecycleEvent, now);
      const pending = await store.find(subscription.id);
      if (!pending) return undefined;
      const work = item.lifecycleEvent === 'subscriptionRemoved' ? 'recreate' : 'renew';
      return {
        work: renewSubscription(pending, runId, renewal, work).catch((error: unknown) => {
          // A credential problem: the pending mark stays for the next run.
          context.error(`Lifecycle ${item.lifecycleEvent} for subscription ${subscription.id} left for the next run: ${redact((error as Error).message)}`);
        }),
      };
    }
    default:
      ignore(`unknown lifecycleEvent "${item.lifecycleEvent.slice(0, 60)}".`, item.subscriptionId);
      return undefined;
  }
}
