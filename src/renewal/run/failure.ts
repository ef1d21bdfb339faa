import { redact } from '../../lib/redact';
import { GraphRequestError } from '../errors';
import type { RenewalFailure } from '../subscription';

/**
 * What a failed Graph call leaves on the row: status, code, a redacted message, Graph's request-id.
 * For a refusal no retry can fix (401, 403) the message also says what to change, for `resource`.
 */
export function toFailure(error: unknown, at: Date, resource?: string): RenewalFailure {
  if (error instanceof GraphRequestError) {
    const advice = adviceFor(error.statusCode, resource);
    const message = redact(error.message) + (advice ? ` ${advice}` : '');
    return { at, statusCode: error.statusCode, code: error.code, message, requestId: error.requestId };
  }
  return {
    at,
    statusCode: 0,
    code: 'Unexpected',
    message: redact(error instanceof Error ? error.message : String(error)),
  };
}

/** What to do about a refusal: Graph's own message names neither the permission nor the setting. */
function adviceFor(statusCode: number, resource: string | undefined): string | undefined {
  if (statusCode === 401) {
    return (
      "Graph refused the app's token twice: the identity (AZURE_CLIENT_ID) must belong to the tenant the subscription " +
      'lives in, and GRAPH_BASE_URL must be the Graph cloud its token is for.'
    );
  }
  if (statusCode === 403) {
    return (
      `The app's identity lacks the Graph application permission ${permissionFor(resource)}, with admin consent: ` +
      'grant it (README, "Granting Graph access"; azd\'s postdeploy hook does it). A token issued before the grant ' +
      'lacks it until the token expires (up to 24 hours); restarting the Function App fetches a new one.'
    );
  }
  return undefined;
}

/** The application permission Graph requires to subscribe to `resource` (graph/api/subscription-post-subscriptions). */
export function permissionFor(resource: string | undefined): string {
  const path = (resource ?? '').toLowerCase();
  if (/\/(messages|mailfolders)\b/.test(path)) return 'Mail.ReadBasic or Mail.Read';
  if (/\/(events|calendars?)\b/.test(path)) return 'Calendars.Read';
  if (/\/contacts\b/.test(path)) return 'Contacts.Read';
  return `that Graph lists for subscriptions to ${resource ?? 'this resource'}`;
}
