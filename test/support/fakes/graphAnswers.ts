import { randomUUID } from 'node:crypto';
import { GraphRequestError } from '../../../src/renewal/errors';

// Graph's answers as the real adapter raises them (src/graph/errors.ts): status, Graph's code and
// message, the raw Retry-After, a request-id, and Graph's clock from its Date header (whole seconds).

/** An error answer from Graph at `now` (Graph's clock). */
export function graphError(
  statusCode: number,
  code: string,
  message: string,
  now = new Date(),
  retryAfter?: string,
): GraphRequestError {
  return new GraphRequestError(
    statusCode,
    code,
    message,
    retryAfter,
    randomUUID(),
    new Date(Math.floor(now.getTime() / 1000) * 1000),
  );
}

/** 404: Graph no longer has the subscription (it expired or was deleted). */
export const notFound = (now?: Date) => graphError(404, 'ResourceNotFound', 'The object was not found.', now);

/** 429 with Retry-After (seconds), once the adapter's own retries gave up. */
export const throttled = (retryAfterSeconds = 2, now?: Date) =>
  graphError(
    429,
    'TooManyRequests',
    'Too many requests: subscription write limit reached for this application.',
    now,
    String(retryAfterSeconds),
  );

/** 503, once the adapter's own retries gave up. */
export const unavailable = (now?: Date) => graphError(503, 'ServiceUnavailable', 'Injected fault.', now);

/** 400: the expiration asked for is beyond the maximum Graph allows (it states the maximum). */
export const beyondMaximum = (maxMinutes: number, now?: Date) =>
  graphError(400, 'ExtensionError', `Subscription expiration can only be ${maxMinutes} minutes in the future.`, now);

/** 403: the app's identity lacks the permission for the resource. */
export const forbidden = (now?: Date) =>
  graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', now);

/** No answer at all (statusCode 0), as the adapter reports a timeout. */
export const timedOut = () => new GraphRequestError(0, 'Timeout', 'Graph did not answer in time.');
