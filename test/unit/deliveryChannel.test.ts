import { describe, expect, it } from 'vitest';
import { readChannel } from '../../src/renewal/policy/deliveryChannel';

const GRID =
  'EventGrid:?azuresubscriptionid=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e&resourcegroup=rg-graph&partnertopic=graph-users&location=westeurope';

describe('where Graph delivers notifications', () => {
  it.each([
    ['https://contoso.example/api/notifications', 'webhook'],
    ['EventHub:https://kv-graph.vault.azure.net/secrets/hubconnection?tenantId=contoso.onmicrosoft.com', 'eventHub'],
    ['EventHub:https://evh-graph-dev.servicebus.windows.net/eventhubname/graphevents?tenantId=contoso.com', 'eventHub'],
    [
      'EventHub:https://evh-graph-dev.servicebus.usgovcloudapi.net/eventhubname/graphevents?tenantId=8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e',
      'eventHub',
    ],
    [GRID, 'eventGrid'],
  ])('reads %s as a %s', (value, kind) => {
    expect(readChannel(value)).toMatchObject({ kind });
  });

  it.each([
    ['http://contoso.example/n', /must be an https URL/],
    [
      'contoso.example/n',
      /not a URL: use an https URL, an EventHub: or an EventGrid: address, one of: https:\/\/<host>/,
    ],
    ['EventHub:https://kv-graph.vault.azure.net/secrets/hubconnection', /needs \?tenantId=/],
    [
      'EventHub:https://kv-graph.vault.azure.net/keys/k?tenantId=contoso.com',
      /not a secret in it .*EventHub:https:\/\/<vault>\.vault\.azure\.net\/secrets\/<secret>\?tenantId=/,
    ],
    [
      'EventHub:https://evh-graph.servicebus.windows.net/graphevents?tenantId=contoso.com',
      /\/eventhubname\/<event hub>/,
    ],
    ['EventHub:https://example.com/x?tenantId=contoso.com', /Key Vault .* or an Event Hubs namespace/],
    ['EventGrid:azuresubscriptionid=x', /must be followed by "\?"/],
    [GRID.replace('&location=westeurope', ''), /lacks location/],
    [GRID.replace('westeurope', 'West Europe'), /region name such as westeurope/],
    [
      GRID.replace('8a8a8a8a-4b4b-4c4c-4d4d-12e12e12e12e', 'my-sub'),
      /azuresubscriptionid must be an Azure subscription id/,
    ],
    [`${GRID}&extra=1`, /does not take: extra/],
  ])('refuses %s with the template it should follow', (value, message) => {
    const read = readChannel(value);
    expect('problem' in read ? read.problem : '').toMatch(message);
  });
});
