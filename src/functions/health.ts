import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../config';
import { redact } from '../lib/redact';
import { readStatus } from '../renewal/status/readStatus';

/**
 * GET /api/webhooks/health: what an uptime monitor (the infra's availability test) calls. Anonymous,
 * so no key sits in the monitor's settings, and it says nothing but healthy or not: 200 or 503 with
 * `{"healthy": …}`. The reasons are behind the status endpoint's function key.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    const { statusSourceFor } = await import('../compositionRoot.js');
    const source = statusSourceFor(loadConfig());
    // The same cheap sources as the status (a handful of requests at any size), and only the verdict.
    const report = await readStatus(await source(context));
    return answer(report.healthy);
  } catch (error) {
    context.error(`Health could not be read: ${redact(error instanceof Error ? error.message : String(error))}`);
    return answer(false);
  }
}

function answer(healthy: boolean): HttpResponseInit {
  return { status: healthy ? 200 : 503, jsonBody: { healthy }, headers: { 'Cache-Control': 'no-store' } };
}

app.http('health', {
  route: 'webhooks/health',
  methods: ['GET'],
  // The answer is one bit; a key here would have to live, readable, in the availability test's headers.
  authLevel: 'anonymous',
  handler: health,
});
