import { printable } from '../lib/printable';
import { redact } from '../lib/redact';
import { eventLine } from '../renewal/events';
import { type RenewalContext, tenantOf } from '../renewal/run/renewalContext';
import { renewSubscription } from '../renewal/run/renewSubscription';
import type { StoredSubscription } from '../renewal/subscription';
import { whenRecorded } from './backlog';
import type { RequestLog } from './lifecycleInput';
import type { LifecycleItem } from './payload';

// A run holds a row for the length of one Graph call, usually well under a second: look again soon,
// then less often, for 10 s in all.
const BUSY_WAITS_MS = [250, 500, 1000, 2000, 2000, 2000, 2250];

/**
 * Does what the row's pending lifecycle event asks for. When another worker holds the row (a run
 * renewing it), it waits for the lease to be given back and looks again: a renewal settles a
 * reauthorization, not a removal, which is then recreated here rather than at the next run.
 */
async function actOnPending(recorded: StoredSubscription, runId: string, renewal: RenewalContext): Promise<void> {
  // Other requests' events are recorded first (a burst is answered in time), for a second at most.
  await whenRecorded(1000);
  let known: StoredSubscription | undefined = recorded;
  for (const wait of [...BUSY_WAITS_MS, undefined]) {
    // The row as just recorded first (no read), then read again after each wait.
    const row = known ?? (await renewal.store.find(recorded.id));
    known = undefined;
    if (!row?.pendingLifecycleEvent) return;
    const work = row.pendingLifecycleEvent === 'subscriptionRemoved' ? 'recreate' : 'renew';
    if ((await renewSubscription(row, runId, renewal, work)) !== 'skipped' || wait === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Records what `item` asks for on its row; resolves with the Graph work that follows, if any (not awaited). */
export async function record(
  item: LifecycleItem,
  renewal: RenewalContext,
  runId: string,
  context: RequestLog,
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
    eventLine(
      `Lifecycle notification ${item.lifecycleEvent} for subscription ${subscription.id} (resource ${subscription.resource}).`,
      {
        event: 'lifecycleReceived',
        tenantId: tenantOf(renewal, subscription),
        invocationId: context.invocationId,
        subscriptionId: subscription.id,
        lifecycleEvent: item.lifecycleEvent,
      },
    ),
  );
  switch (item.lifecycleEvent) {
    case 'missed':
      await store.recordMissed(subscription, now);
      context.error(
        eventLine(
          `Graph could not deliver some change notifications for subscription ${subscription.id} (resource ${subscription.resource}): the consumer must resync with a delta query.`,
          {
            event: 'notificationsMissed',
            tenantId: tenantOf(renewal, subscription),
            invocationId: context.invocationId,
            subscriptionId: subscription.id,
            resource: subscription.resource,
          },
        ),
      );
      return undefined;
    case 'reauthorizationRequired':
    case 'subscriptionRemoved': {
      const recorded = await store.recordPending(subscription, item.lifecycleEvent, now);
      return {
        work: actOnPending(recorded, runId, renewal).catch((error: unknown) => {
          // A credential or table problem: the pending mark stays for the next run.
          context.error(
            `Lifecycle ${item.lifecycleEvent} for subscription ${subscription.id} left for the next run: ${redact((error as Error).message)}`,
          );
        }),
      };
    }
    default:
      ignore(`unknown lifecycleEvent "${printable(item.lifecycleEvent, 60)}".`, item.subscriptionId);
      return undefined;
  }
}
