import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ConfigError, loadConfig } from '../config';
import { redact } from '../lib/redact';
import type { PageData } from '../statusPage/page';

/**
 * GET /api/webhooks/scheduler: the status as a page for people, behind a function key. The same data
 * as GET /api/webhooks/scheduler/status (the same cheap reads), server-rendered: no script, no
 * framework, no asset fetched, one style block the Content-Security-Policy allows by its hash.
 */
export async function statusPage(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // Loaded on first use, not at start-up (docs/performance.md, cold start).
  const [{ renderStatusPage }, { PAGE_SECURITY_POLICY }] = await Promise.all([
    import('../statusPage/page.js'),
    import('../statusPage/pageStyle.js'),
  ]);
  const page = (status: number, html: string): HttpResponseInit => ({
    status,
    body: html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': PAGE_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    },
  });
  const now = new Date();
  try {
    const [{ statusSourceFor }, { readStatus }] = await Promise.all([
      import('../compositionRoot.js'),
      import('../renewal/status/readStatus.js'),
    ]);
    const source = statusSourceFor(loadConfig());
    const report = await readStatus(await source(context, undefined, now));
    // A person reads it whatever it says: 200, the verdict is on the page (monitors use /health).
    return page(200, renderStatusPage(report.body as unknown as PageData));
  } catch (error) {
    const message =
      error instanceof ConfigError
        ? `Configuration error: ${error.message}`
        : `Could not read the subscription tables: ${redact(error instanceof Error ? error.message : String(error))}`;
    context.error(`Status page: ${message}`);
    return page(
      503,
      renderStatusPage({
        success: false,
        checked_at: now.toISOString(),
        problem_details: [
          { kind: 'tables', text: message, what_to_do: 'Fix what the message names (README, "Configuration").' },
        ],
      }),
    );
  }
}

app.http('statusPage', {
  route: 'webhooks/scheduler',
  methods: ['GET'],
  authLevel: 'function',
  handler: statusPage,
});
