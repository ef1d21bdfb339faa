import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { ConfigError, loadConfig } from '../config';
import { redact } from '../lib/redact';
import { readStatus } from '../renewal/status/readStatus';

const MAX_HOURS = 24 * 365;

/** GET /api/webhooks/scheduler/status: the seed's status, plus counts and problems; 503 when anything is wrong. */
export async function schedulerStatus(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const hours = parseHours(request.query.getAll('hours'));
  if (typeof hours === 'string') return answer(400, { success: false, error: hours });

  let source;
  try {
    // Loaded on first use, not at start-up: the SDKs stay off the host's start-up path.
    const { statusSourceFor } = await import('../compositionRoot.js');
    source = statusSourceFor(loadConfig());
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.message : redact(error instanceof Error ? error.message : String(error));
    context.error(`Configuration error: ${message}`);
    return answer(503, { success: false, problems: [`Configuration error: ${message}`] });
  }

  try {
    const report = await readStatus(await source(context, hours));
    return answer(report.healthy ? 200 : 503, report.body);
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error));
    context.error(`Status could not read the tables: ${message}`);
    return answer(503, { success: false, problems: [`Could not read the subscription tables: ${message}`] });
  }
}

/** The `hours` query parameter (every occurrence) as a number, undefined when absent, or a message saying what is wrong. */
export function parseHours(occurrences: string[]): number | undefined | string {
  const [raw] = occurrences;
  if (raw === undefined) return undefined;
  // ?hours=48&hours=72 is ambiguous: refused rather than guessed.
  if (occurrences.length > 1) return `hours is given ${occurrences.length} times; give it once, e.g. ?hours=48.`;
  const value = raw.trim();
  const hours = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(hours > 0 && hours <= MAX_HOURS)) {
    return `hours must be a number of hours above 0 and at most ${MAX_HOURS}, e.g. ?hours=48 (got "${value.slice(0, 40)}").`;
  }
  return hours;
}

function answer(status: number, body: Record<string, unknown>): HttpResponseInit {
  // Monitors poll this: never let a proxy serve a stale healthy answer.
  return { status, jsonBody: body, headers: { 'Cache-Control': 'no-store' } };
}

app.http('schedulerStatus', {
  route: 'webhooks/scheduler/status',
  methods: ['GET'],
  authLevel: 'function',
  handler: schedulerStatus,
});
