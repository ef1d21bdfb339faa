/**
 * True when a subscription on Graph is the one `definition` describes (to find one a crashed
 * attempt created). Graph may echo the resource with a leading slash and the change types reordered.
 */
export function matchesDefinition(
  candidate: { resource: string; changeType: string; notificationUrl: string; lifecycleNotificationUrl?: string },
  definition: { resource: string; changeType: string; notificationUrl: string; lifecycleNotificationUrl?: string },
): boolean {
  const resource = (value: string) => value.trim().replace(/^\//, '').toLowerCase();
  const changes = (value: string) =>
    value
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .sort()
      .join(',');
  return (
    resource(candidate.resource) === resource(definition.resource) &&
    changes(candidate.changeType) === changes(definition.changeType) &&
    candidate.notificationUrl === definition.notificationUrl &&
    (candidate.lifecycleNotificationUrl ?? '') === (definition.lifecycleNotificationUrl ?? '')
  );
}

/**
 * The subscription a 409 on creation names: Graph refuses a second subscription for the same
 * resource and changeType with "Subscription Id <id> already exists for the requested combination"
 * (graph/api/subscription-post-subscriptions, "Duplicate subscription behavior").
 */
export function conflictingSubscriptionId(message: string): string | undefined {
  return /subscription id\s*<?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})>?\s*already exists/i.exec(
    message,
  )?.[1];
}
