import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { loadConfig } from '../config';
import type { LifecycleOutcome } from '../lifecycle/lifecycleInput';
import { type FailureKind, httpStatus } from './httpStatus';

/** Far above any batch Graph sends; a body past it is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Graph's validation tokens are short opaque strings; a longer one is not Graph. */
const MAX_TOKEN_CHARS = 4096;

/**
 * POST /api/webhooks/lifecycle: Graph's lifecycle notifications (reauthorizationRequired,
 * subscriptionRemoved, missed). Anonymous, since Graph calls it: each notification's client state is
 * the check. The validation handshake is answered here, before anything heavy is loaded, well within
 * Graph's 10 s even on a cold start; notifications load the rest on first use.
 */
export async function lifecycleNotifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const token = request.query.get('validationToken');
  if (token !== null) {
    if (token.length > MAX_TOKEN_CHARS)
      return refuse('invalidInput', `validationToken is longer than ${MAX_TOKEN_CHARS} characters.`);
    // Echo the decoded token as plain text, never as HTML: it is opaque and may hold anything.
    return {
      status: 200,
      body: token,
      headers: {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      },
    };
  }

  const contentType = request.headers.get('content-type') ?? '';
  if (contentType !== '' && !/^application\/(.+\+)?json\b/i.test(contentType.trim())) {
    return refuse('unsupportedMediaType', 'lifecycle notifications are JSON: send Content-Type: application/json.');
  }
  const text = await readLimited(request, MAX_BODY_BYTES);
  if (text === undefined) return refuse('invalidInput', `the body is over ${MAX_BODY_BYTES} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return refuse('invalidInput', 'the body is not valid JSON.');
  }
  // Loaded here, not at the top: the SDKs behind it are what a cold start would otherwise wait for.
  const [{ handleLifecycle }, root] = await Promise.all([
    import('../lifecycle/handleLifecycle.js'),
    import('../compositionRoot.js'),
  ]);
  return answer(await handleLifecycle(body, context, () => root.lifecycleInputFor(loadConfig(), context)));
}

/** Graph's answer: 202 once every event is recorded; otherwise a status that makes it send them again (or not, for a 400). */
function answer(outcome: LifecycleOutcome): HttpResponseInit {
  switch (outcome.kind) {
    case 'accepted':
      return { status: 202 };
    case 'invalidInput':
      return { status: httpStatus(outcome.kind), jsonBody: { success: false, error: outcome.error } };
    case 'notConfigured':
      return {
        status: httpStatus(outcome.kind),
        jsonBody: { success: false, error: 'The app is misconfigured; see its logs.' },
      };
    case 'notRecorded':
      return {
        status: httpStatus(outcome.kind),
        headers: { 'Retry-After': '5' },
        jsonBody: { success: false, error: 'The notifications could not all be recorded; send them again.' },
      };
  }
}

function refuse(kind: FailureKind, error: string): HttpResponseInit {
  return { status: httpStatus(kind), jsonBody: { success: false, error }, headers: { 'Cache-Control': 'no-store' } };
}

/** The body as text, or undefined once it passes `limit` bytes (read no further than that). */
async function readLimited(request: HttpRequest, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) return undefined;
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

app.http('lifecycleNotifications', {
  route: 'webhooks/lifecycle',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: lifecycleNotifications,
});
