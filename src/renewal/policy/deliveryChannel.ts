/**
 * Where Graph delivers a subscription's notifications: a `notificationUrl` (or `lifecycleNotificationUrl`)
 * is an https webhook, an Event Hub (graph/change-notifications-delivery-event-hubs: through a Key
 * Vault secret holding its connection string, or by role-based access on the namespace), or an Event
 * Grid partner topic (azure/event-grid/subscribe-to-graph-api-events). Graph sends a validation
 * request only to webhooks; every kind expires and is renewed alike.
 */
export type ChannelKind = 'webhook' | 'eventHub' | 'eventGrid';

export interface DeliveryChannel {
  kind: ChannelKind;
  /** The value as Graph takes it (a webhook URL normalized, the others as given). */
  value: string;
}

export const CHANNEL_TEMPLATES = [
  'https://<host>/<path>',
  'EventHub:https://<vault>.vault.azure.net/secrets/<secret>?tenantId=<tenant domain or id>',
  'EventHub:https://<namespace>.servicebus.windows.net/eventhubname/<event hub>?tenantId=<tenant domain or id>',
  'EventGrid:?azuresubscriptionid=<Azure subscription id>&resourcegroup=<resource group>&partnertopic=<partner topic>&location=<region, e.g. westeurope>',
] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i;
// Key Vault and Event Hubs host names in the public cloud, Azure Government and Azure China.
const VAULT_HOST = /^[a-z0-9-]{3,24}\.vault\.(azure\.net|usgovcloudapi\.net|azure\.cn)$/i;
const NAMESPACE_HOST =
  /^[a-z][a-z0-9-]{4,48}[a-z0-9]\.servicebus\.(windows\.net|usgovcloudapi\.net|chinacloudapi\.cn)$/i;
const EVENT_GRID_PARAMETERS = ['azuresubscriptionid', 'resourcegroup', 'partnertopic', 'location'] as const;

/** Reads `value` as a delivery channel, or says what is wrong with it and which template it should follow. */
export function readChannel(value: string): DeliveryChannel | { problem: string } {
  const text = value.trim();
  if (/^eventhub:/i.test(text)) return eventHub(text);
  if (/^eventgrid:/i.test(text)) return eventGrid(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return {
      problem: `is not a URL: use an https URL, an EventHub: or an EventGrid: address, one of: ${CHANNEL_TEMPLATES.join(' ; ')}`,
    };
  }
  // Graph delivers webhooks only over https.
  if (url.protocol !== 'https:')
    return { problem: `must be an https URL (got "${url.protocol}"), or an EventHub: or EventGrid: address.` };
  return { kind: 'webhook', value: url.toString() };
}

/**
 * The kind of a stored value, by its prefix alone: a row typed by hand or a subscription adopted with
 * an address the checks above would refuse is still renewed by its channel's rules (Event Grid's 3 hours).
 */
export function channelKind(value: string | undefined): ChannelKind {
  const text = value?.trim() ?? '';
  if (/^eventgrid:/i.test(text)) return 'eventGrid';
  if (/^eventhub:/i.test(text)) return 'eventHub';
  return 'webhook';
}

function eventHub(text: string): DeliveryChannel | { problem: string } {
  const expected = `Use ${CHANNEL_TEMPLATES[1]} or ${CHANNEL_TEMPLATES[2]}.`;
  let url: URL;
  try {
    url = new URL(text.slice('EventHub:'.length));
  } catch {
    return { problem: `is not an Event Hubs address. ${expected}` };
  }
  if (url.protocol !== 'https:')
    return { problem: `must name an https Key Vault secret or Event Hubs namespace. ${expected}` };
  const tenant = url.searchParams.get('tenantId') ?? '';
  if (!TENANT.test(tenant)) {
    return {
      problem: `needs ?tenantId= with the domain (e.g. contoso.com) or id of the tenant that holds the ${VAULT_HOST.test(url.hostname) ? 'vault' : 'Event Hubs namespace'}. ${expected}`,
    };
  }
  if (VAULT_HOST.test(url.hostname)) {
    if (!/^\/secrets\/[A-Za-z0-9-]{1,127}(\/[0-9a-f]{32})?$/.test(url.pathname)) {
      return {
        problem: `names a Key Vault but not a secret in it (the path must be /secrets/<secret name>). ${expected}`,
      };
    }
    return { kind: 'eventHub', value: text };
  }
  if (NAMESPACE_HOST.test(url.hostname)) {
    if (!/^\/eventhubname\/[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/.test(url.pathname)) {
      return {
        problem: `names an Event Hubs namespace but not an event hub in it (the path must be /eventhubname/<event hub>). ${expected}`,
      };
    }
    return { kind: 'eventHub', value: text };
  }
  return {
    problem: `must point at a Key Vault (<vault>.vault.azure.net) or an Event Hubs namespace (<namespace>.servicebus.windows.net), not "${url.hostname.slice(0, 100)}". ${expected}`,
  };
}

function eventGrid(text: string): DeliveryChannel | { problem: string } {
  const expected = `Use ${CHANNEL_TEMPLATES[3]}.`;
  const query = text.slice('EventGrid:'.length);
  if (!query.startsWith('?')) return { problem: `must be followed by "?" and its four parameters. ${expected}` };
  const parameters = new URLSearchParams(query.slice(1));
  const names = [...parameters.keys()].map((name) => name.toLowerCase());
  const unknown = names.filter((name) => !(EVENT_GRID_PARAMETERS as readonly string[]).includes(name));
  if (unknown.length > 0)
    return { problem: `has parameter(s) Event Grid does not take: ${unknown.join(', ').slice(0, 100)}. ${expected}` };
  const read = (name: string) => [...parameters].find(([key]) => key.toLowerCase() === name)?.[1] ?? '';
  const missing = EVENT_GRID_PARAMETERS.filter((name) => read(name) === '');
  if (missing.length > 0) return { problem: `lacks ${missing.join(', ')}. ${expected}` };
  if (names.length !== new Set(names).size) return { problem: `gives a parameter twice. ${expected}` };
  if (!GUID.test(read('azuresubscriptionid')))
    return { problem: `azuresubscriptionid must be an Azure subscription id (a GUID). ${expected}` };
  if (!/^[-\w.()]{1,89}[-\w()]$/.test(read('resourcegroup')))
    return {
      problem: `resourcegroup is not a resource group name (1-90 letters, digits, - _ . ( ), not ending with "."). ${expected}`,
    };
  if (!/^[A-Za-z0-9-]{3,50}$/.test(read('partnertopic')))
    return { problem: `partnertopic must be 3-50 letters, digits and hyphens. ${expected}` };
  // The region's name, not its display name ("westcentralus", not "West Central US").
  if (!/^[a-z0-9]+$/.test(read('location')))
    return {
      problem: `location must be a region name such as westeurope (az account list-locations), not a display name. ${expected}`,
    };
  return { kind: 'eventGrid', value: text };
}
