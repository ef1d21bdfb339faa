import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../src/functions/lifecycleNotifications';
import { MAX_ITEMS } from '../../src/lifecycle/payload';
import { nearMisses } from './forgedClientStates';

/** One request the fuzz sends to the lifecycle endpoint. */
export type LifecycleRequest =
  | {
      kind: 'notification';
      /** What made it: for the counterexample a failure prints. */
      shape: string;
      body: string | Buffer;
      headers: Record<string, string>;
      /** Sent without Content-Length (chunked), so only the bytes read can tell its size. */
      chunked: boolean;
      /** Straight to the handler: invalid UTF-8 would be replaced on its way through the test host. */
      direct: boolean;
      /** Holds one item with our client state and a stored subscription's id: the only kind that may act. */
      genuine: boolean;
    }
  | { kind: 'validation'; shape: string; token: string; direct: boolean };

const JSON_TYPE = { 'content-type': 'application/json' };
const LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed'] as const;

/** Any short string a JSON payload may carry: unicode, lone surrogates, script, injection. */
const shortText = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<script>alert(1)</script>',
      '"; DROP TABLE subscriptions; --',
      "' or '1'='1",
      '${7*7}',
      '../../etc/passwd',
      '\u0000',
      '\u202e',
    ),
  },
);
/** And, now and then, far longer than Graph would ever send (kept under the body limit, which has its own case). */
const text = fc.oneof(
  { weight: 12, arbitrary: shortText },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 100_000 }).map((length) => 'é'.repeat(length)) },
);

/** A value of the wrong type for a field that should hold a string. */
const notText = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

export function lifecycleRequests(ids: string[], secret: string): fc.Arbitrary<LifecycleRequest> {
  const subscriptionId = (text: fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ids) },
      { weight: 2, arbitrary: fc.uuid() },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          ...ids.map((id) => ` ${id} `),
          ...ids.map((id) => id.toUpperCase()),
          '',
          ' ',
          "'; --",
          '*',
        ),
      },
      { weight: 1, arbitrary: text },
      { weight: 1, arbitrary: notText },
    );
  const clientState = (text: fc.Arbitrary<string>) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...nearMisses(secret)) },
      { weight: 2, arbitrary: text },
      { weight: 1, arbitrary: notText },
    );
  const lifecycleEvent = (text: fc.Arbitrary<string>) =>
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          ...LIFECYCLE_EVENTS,
          'ReauthorizationRequired',
          'subscriptionremoved',
          'reauthorize',
        ),
      },
      { weight: 1, arbitrary: text },
      { weight: 1, arbitrary: notText },
    );
  const item = (text: fc.Arbitrary<string>) =>
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(
            fc.record(
              {
                subscriptionId: subscriptionId(text),
                clientState: clientState(text),
                lifecycleEvent: lifecycleEvent(text),
                resource: fc.oneof(text, notText),
                tenantId: fc.oneof(fc.uuid(), notText),
                subscriptionExpirationDateTime: fc.oneof(
                  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
                  text,
                ),
              },
              { requiredKeys: [] },
            ),
            fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          )
          .map(([fields, extra]) => ({ ...extra, ...fields })),
      },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
  const items = fc.oneof(
    { weight: 12, arbitrary: fc.array(item(text), { maxLength: 12 }) },
    { weight: 2, arbitrary: fc.array(item(shortText), { minLength: 100, maxLength: 400 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(item(shortText), fc.integer({ min: MAX_ITEMS - 2, max: MAX_ITEMS + 50 }))
        .map(([one, count]) => Array.from({ length: count }, () => one)),
    },
  );
  const payload = fc
    .tuple(items, fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }))
    .map(([value, extra]) => ({ ...extra, value }));

  const notification = (
    shape: string,
    body: string | Buffer,
    headers: Record<string, string> = JSON_TYPE,
    options: Partial<LifecycleRequest> = {},
  ): LifecycleRequest => ({
    kind: 'notification',
    shape,
    body,
    headers,
    chunked: false,
    direct: false,
    genuine: false,
    ...(options as object),
  });

  const requests = fc.oneof(
    // Any JSON at all, and any JSON-ish text.
    {
      weight: 4,
      arbitrary: fc
        .jsonValue({ maxDepth: 4 })
        .map((value) => notification('any JSON value', JSON.stringify(value) ?? 'null')),
    },
    {
      weight: 2,
      arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }).map((body) => notification('any text', body)),
    },
    // Graph's shape with every field bent: wrong types, unicode, huge strings, extra fields, many items.
    { weight: 12, arbitrary: payload.map((body) => notification('lifecycle-shaped', JSON.stringify(body))) },
    // Ours, once: the control that shows acting is seen; noise around it must change nothing.
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ids),
          fc.constantFrom('missed', 'reauthorizationRequired'),
          fc.array(item(shortText), { maxLength: 4 }),
        )
        .map(([id, event, noise]) =>
          notification(
            'genuine, among noise',
            JSON.stringify({
              value: [
                ...noise.filter((n) => !isOurs(n, secret)),
                { subscriptionId: id, clientState: secret, lifecycleEvent: event },
              ],
            }),
            JSON_TYPE,
            { genuine: true },
          ),
        ),
    },
    // Content types: wrong, odd and missing.
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          payload,
          fc.oneof(
            fc.constantFrom(
              'text/plain',
              'text/html',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/xml',
              'text/json',
              'application/jsonx',
              'application/json; charset=utf-16',
              'APPLICATION/JSON',
              'application/merge-patch+json',
              ' application/json ',
              'json',
              '*/*',
              '',
            ),
            fc.string({
              unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
              maxLength: 60,
            }),
          ),
        )
        .map(([body, type]) =>
          notification(
            `content type ${JSON.stringify(type)}`,
            JSON.stringify(body),
            type === '' ? {} : { 'content-type': type },
          ),
        ),
    },
    // Over the 1 MiB limit: declared, or only found by reading (chunked), in ASCII and in multi-byte text.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 64 * 1024 }), fc.boolean(), fc.constantFrom('x', '€'))
        .map(([over, chunked, char]) =>
          notification(
            `over 1 MiB (${chunked ? 'chunked' : 'declared'}, ${char})`,
            `{"value":["${char.repeat(Math.ceil((MAX_BODY_BYTES + over) / Buffer.byteLength(char)))}"]}`,
            JSON_TYPE,
            { chunked },
          ),
        ),
    },
    // Bytes that are not UTF-8, alone and inside a lifecycle-shaped body.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.constantFrom(...ids), fc.boolean())
        .map(([bytes, id, wrapped]) =>
          notification(
            'invalid UTF-8',
            wrapped
              ? Buffer.concat([
                  Buffer.from(`{"value":[{"subscriptionId":"${id}","lifecycleEvent":"missed","clientState":"`),
                  Buffer.from([0xc3, 0x28, 0xff]),
                  bytes,
                  Buffer.from('"}]}'),
                ])
              : Buffer.from(bytes),
            JSON_TYPE,
            { direct: true },
          ),
        ),
    },
    // Validation tokens: script, markup, header injection, unicode, at and over the length limit.
    {
      weight: 5,
      arbitrary: fc
        .oneof(
          fc.string({ unit: 'grapheme', maxLength: 100 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }).map((inner) => `<script>${inner}</script>`),
          fc.constantFrom(
            'Validation: Testing client application reachability for subscription Request-Id: 0f6ee0c4-4c18-4a46-9c5d-2d8a3e1b4a51',
            '"><img src=x onerror=alert(1)>',
            '</pre><html><body>hi</body></html>',
            'a\r\nSet-Cookie: session=stolen',
            '+ %2B %20',
            '\u0000\u0001',
            '',
            'x'.repeat(4096),
            'x'.repeat(4097),
            '€'.repeat(4096),
          ),
        )
        .map((token) => ({
          kind: 'validation' as const,
          shape: 'validation token',
          token,
          direct: encodeURIComponent(token).length > 8000,
        })),
    },
  );
  return requests.map(summarized);
}

/** A request as a failing run prints it: its shape and the start of its body, not megabytes of it. */
function summarized(request: LifecycleRequest): LifecycleRequest {
  const summary = () => {
    if (request.kind === 'validation')
      return `validation token ${JSON.stringify(request.token.slice(0, 200))} (${request.token.length} chars)`;
    const body = typeof request.body === 'string' ? request.body : request.body.toString('latin1');
    return `${request.shape}: ${JSON.stringify(request.headers)} ${JSON.stringify(body.slice(0, 300))}… (${Buffer.byteLength(request.body)} bytes${request.chunked ? ', chunked' : ''})`;
  };
  return Object.assign(request, { [fc.toStringMethod]: summary });
}

function isOurs(item: unknown, secret: string): boolean {
  return typeof item === 'object' && item !== null && (item as { clientState?: unknown }).clientState === secret;
}
