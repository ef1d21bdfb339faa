import { GraphRequestError } from '../graph/errors';
import { redact } from '../redact';
import type { RenewalFailure } from './subscription';

/** What a failed Graph call leaves on the row: status, code, a redacted message, Graph's request-id. */
export function toFailure(error: unknown, at: Date): RenewalFailure {
  if (error instanceof GraphRequestError) {
    return { at, statusCode: error.statusCode, code: error.code, message: redact(error.message), requestId: error.requestId };
  }
  return { at, statusCode: 0, code: 'Unexpected', message: redact(error instanceof Error ? error.message : String(error)) };
}
