import { forEachConcurrently } from '../lib/concurrently';
import { printable } from '../lib/printable';
import { redact } from '../lib/redact';
import { sameSecret } from '../lib/sameSecret';
import { MalformedRowError } from '../renewal/errors';
import { ALL_TENANTS, eventLine } from '../renewal/events';
import type { Log } from '../renewal/ports';
import { keep, recordingEnded, recordingStarted } from './backlog';
import type { LifecycleInput, LifecycleOutcome, RequestLog } from './lifecycleInput';
import { parseNotifications } from './payload';
import { record } from './record';

/**
 * Graph wants an answer within 3 s (change-notifications-lifecycle-events.md): the events are recorded
 * on their rows by then or the answer is 503, so Graph sends them again rather than take a 202 for an
 * event nobody recorded. Longer work (a renewal, a recreation) goes on after the answer.
 */
export const RECORD_WITHIN_MS = 2000;
const TABLE_CONCURRENCY = 8;
const MAX_NAMED_IGNORED = 10;

/**
 * Acts on a batch of lifecycle notifications. Each item must carry our client state and name a
 * stored subscription, otherwise it is ignored with a warning. What it asks for is first recorded
 * on the row (so the next renewal run does it if this instance dies), then done:
 * reauthorizationRequired -> PATCH (renews and reauthorizes; a reauthorize call is never sent, so
 * never within 10 minutes of a PATCH), subscriptionRemoved -> recreate, missed -> recorded and reported.
 * `prepare` reads the settings and makes sure of the table once the payload is known to be one; what
 * it throws is logged and answered as notConfigured.
 */
export async function handleLifecycle(
  body: unknown,
  context: RequestLog,
  prepare: () => Promise<LifecycleInput>,
): Promise<LifecycleOutcome> {
  const parsed = parseNotifications(body);
  if (typeof parsed === 'string') return { kind: 'invalidInput', error: parsed };
  const runId = `lifecycle-${context.invocationId}`;
  // Anyone can post here: name the first few items ignored, then only count them.
  let ignored = 0;
  const ignore = (reason: string, received?: string) => {
    if (++ignored > MAX_NAMED_IGNORED) return;
    // Whatever the caller put there, it must not start a line of its own in the log.
    const subscriptionId = received === undefined ? undefined : printable(received, 100);
    context.warn(
      eventLine(
        `Lifecycle notification ignored${subscriptionId ? ` (subscription ${subscriptionId})` : ''}: ${reason}`,
        {
          event: 'lifecycleIgnored',
          // An ignored notification names no row, so no tenant can be read.
          tenantId: ALL_TENANTS,
          invocationId: context.invocationId,
          subscriptionId,
          reason,
        },
      ),
    );
  };
  for (const rejected of parsed.rejected)
    ignore(`item ${rejected.index} has ${rejected.reason}.`, rejected.subscriptionId);

  let input: LifecycleInput;
  try {
    input = await prepare();
  } catch (error) {
    // Graph retries a notification that did not get a 2xx: worth it once the setting is fixed.
    const message = redact(error instanceof Error ? error.message : String(error));
    context.error(`Lifecycle notifications could not be handled: ${message}`);
    return { kind: 'notConfigured' };
  }
  const clientState = input.clientState;
  if (!clientState) {
    // Not accepted: once the setting is fixed, a notification Graph sends again can still be acted on.
    const problem = input.webhookProblem ?? 'WEBHOOK_CLIENT_STATE is not set';
    context.error(
      `Lifecycle notifications cannot be verified: ${problem}. Set WEBHOOK_CLIENT_STATE to the client state the subscriptions were created with.`,
    );
    return { kind: 'notConfigured' };
  }

  // Graph's clock starts now: the rules the Graph work needs (a table read, cached) count against it too.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), RECORD_WITHIN_MS)));
  const renewal = await Promise.race([input.renewalContext(), late]);
  if (renewal === false) return notRecorded(context, `not all recorded within ${RECORD_WITHIN_MS} ms`);
  const graphWork: Promise<unknown>[] = [];
  let unrecorded = 0;
  recordingStarted();
  const recording = forEachConcurrently(parsed.items, TABLE_CONCURRENCY, async (item) => {
    if (!sameSecret(item.clientState, clientState)) {
      ignore('its clientState does not match WEBHOOK_CLIENT_STATE.', item.subscriptionId);
      return;
    }
    try {
      const next = await record(item, renewal, runId, context, ignore);
      if (next) graphWork.push(next.work);
    } catch (error) {
      // A malformed row cannot take the event however often Graph sends it: named, not retried.
      if (error instanceof MalformedRowError) {
        ignore(
          `its row cannot be read (${redact(error.message)}); fix the row (README, "Table schema").`,
          item.subscriptionId,
        );
        return;
      }
      unrecorded++;
      context.error(
        `Lifecycle notification for subscription ${printable(item.subscriptionId, 100)} could not be recorded: ${redact((error as Error).message)}`,
      );
    }
  });

  // Recording first (the row is what makes the work survive this instance), then the Graph work, which
  // goes on after the answer: accepted once every event is on its row, not recorded when one is not (or not yet).
  const recorded = recording
    .then(
      () => true,
      (error: unknown) => {
        context.error(`Lifecycle notifications could not all be recorded: ${redact((error as Error).message)}`);
        return false;
      },
    )
    .finally(recordingEnded);
  keep(
    recorded.then(() => {
      if (ignored > MAX_NAMED_IGNORED) {
        context.warn(
          `Lifecycle notifications: ${ignored - MAX_NAMED_IGNORED} more item(s) ignored in this request (not named).`,
        );
      }
      return Promise.allSettled(graphWork);
    }),
  );
  const inTime = await Promise.race([recorded, late]);
  clearTimeout(timer);
  if (inTime && unrecorded === 0) return { kind: 'accepted' };
  return notRecorded(
    context,
    unrecorded > 0 ? `${unrecorded} could not be recorded` : `not all recorded within ${RECORD_WITHIN_MS} ms`,
  );
}

/** Answered so that Graph sends the notifications again rather than losing them (503 with Retry-After). */
function notRecorded(context: Log, why: string): LifecycleOutcome {
  context.warn(`Lifecycle notifications answered 503 so that Graph sends them again: ${why}.`);
  return { kind: 'notRecorded' };
}
