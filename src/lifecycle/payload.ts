/**
 * Lifecycle notifications as Graph posts them (change-notifications-lifecycle-events.md):
 * `{ "value": [ { subscriptionId, clientState, lifecycleEvent, ... } ] }`. Pure parsing, no I/O.
 */
export interface LifecycleItem {
  subscriptionId: string;
  /** What the subscription was created with; compared with WEBHOOK_CLIENT_STATE, never logged. */
  clientState: string;
  lifecycleEvent: string;
  resource?: string;
}

export interface ParsedNotifications {
  items: LifecycleItem[];
  /** Items without the fields every lifecycle notification has, with why. */
  rejected: { index: number; subscriptionId?: string; reason: string }[];
}

/** Graph batches notifications; far more than any batch would hold is not Graph. */
export const MAX_ITEMS = 1000;

/** The notifications in `body` (parsed JSON), or a message saying why it is not a lifecycle payload. */
export function parseNotifications(body: unknown): ParsedNotifications | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the body must be a JSON object with a "value" array.';
  const value = (body as { value?: unknown }).value;
  if (!Array.isArray(value)) return 'the body has no "value" array of notifications.';
  if (value.length > MAX_ITEMS)
    return `the body holds ${value.length} notifications; at most ${MAX_ITEMS} are accepted.`;
  const parsed: ParsedNotifications = { items: [], rejected: [] };
  value.forEach((raw: unknown, index) => {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const subscriptionId =
      typeof item.subscriptionId === 'string' && item.subscriptionId.trim() !== ''
        ? item.subscriptionId.trim()
        : undefined;
    const reject = (reason: string) =>
      parsed.rejected.push({ index, subscriptionId: subscriptionId?.slice(0, 100), reason });
    if (!subscriptionId) return reject('no subscriptionId');
    if (typeof item.lifecycleEvent !== 'string' || item.lifecycleEvent === '')
      return reject('no lifecycleEvent (not a lifecycle notification)');
    if (typeof item.clientState !== 'string') return reject('no clientState');
    parsed.items.push({
      subscriptionId,
      clientState: item.clientState,
      lifecycleEvent: item.lifecycleEvent,
      resource: typeof item.resource === 'string' ? item.resource : undefined,
    });
  });
  return parsed;
}
