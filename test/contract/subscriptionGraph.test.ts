import { describe } from 'vitest';
import { ScriptedGraph } from '../support/fakes/scriptedGraph';
import { realAdapters } from '../support/fakes/underTest';
import { useHarness } from '../support/useHarness';
import { describeSubscriptionGraphContract, type GraphUnderContract } from './subscriptionGraph.contract';

describeSubscriptionGraphContract('the scripted fake', async (): Promise<GraphUnderContract> => {
  const graph = new ScriptedGraph();
  return {
    graph,
    add: (subscription) => void graph.add(subscription),
    notificationUrl: 'https://contoso.example/api/notifications',
  };
});

describe('against the HTTPS Graph emulator', () => {
  // The adapter as the app builds it: the settings the harness points at the emulators, the managed
  // identity's token from the identity emulator, the Graph client over HTTPS.
  const harness = useHarness();
  describeSubscriptionGraphContract('the real adapter', async (): Promise<GraphUnderContract> => {
    const { loadConfig, servicesFor } = await realAdapters();
    return {
      graph: servicesFor(loadConfig()).graphs.forTenant(undefined),
      add: (subscription) => void harness.graph.add(subscription),
      notificationUrl: harness.host.notificationUrl,
    };
  });
});
