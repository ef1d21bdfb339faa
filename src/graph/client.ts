import { AuthenticationHandler, Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';

// Hosts the Graph client already trusts with a token (its GRAPH_URLS): the public and national clouds.
const KNOWN_GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.microsoft.de',
  'microsoftgraph.chinacloudapi.cn',
  'canary.graph.microsoft.com',
]);

/**
 * A Graph client for `baseUrl` that authenticates with `getToken`. Retries are ours (graph/retry.ts),
 * so the client's own RetryHandler is left out of the middleware chain: one policy, one place.
 */
export function createGraphClient(baseUrl: string, getToken: () => Promise<string>): Client {
  const host = new URL(baseUrl).hostname;
  return Client.initWithMiddleware({
    baseUrl,
    defaultVersion: 'v1.0',
    // The client only sends the token to hosts it knows; an emulator or proxy host must be named.
    customHosts: KNOWN_GRAPH_HOSTS.has(host) ? undefined : new Set([host]),
    middleware: [new AuthenticationHandler({ getAccessToken: getToken }), new HTTPMessageHandler()],
  });
}
