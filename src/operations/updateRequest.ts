// An update's request body read and checked before anything is asked of Graph or the table.
import type { DefinitionChanges } from '../renewal/ports';
import { OperationError } from './operationError';
import { channel } from './registration';

const FIELDS = new Set(['notificationUrl', 'encryptionCertificate', 'encryptionCertificateId']);
/** What an update asks Graph to change (subscription-update: notificationUrl, the encryption certificate). */
export function readUpdate(input: unknown): DefinitionChanges {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new OperationError(
      'invalidInput',
      'The request body must be a JSON object, e.g. {"notificationUrl": "https://…"}.',
    );
  }
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) {
    throw new OperationError(
      'invalidInput',
      `Unknown field(s): ${unknown.map((key) => key.slice(0, 40)).join(', ')}. An update takes: ${[...FIELDS].join(', ')}.`,
    );
  }
  const changes: DefinitionChanges = {};
  for (const field of FIELDS) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '')
      throw new OperationError('invalidInput', `${field} must be a non-empty string.`);
    changes[field as keyof DefinitionChanges] = value.trim();
  }
  if (changes.notificationUrl) changes.notificationUrl = channel('notificationUrl', changes.notificationUrl);
  if ((changes.encryptionCertificate === undefined) !== (changes.encryptionCertificateId === undefined)) {
    throw new OperationError(
      'invalidInput',
      'encryptionCertificate and encryptionCertificateId go together: give the new base64 certificate and its id.',
    );
  }
  if (Object.keys(changes).length === 0) {
    throw new OperationError(
      'invalidInput',
      'Nothing to update: give notificationUrl, or encryptionCertificate with encryptionCertificateId.',
    );
  }
  return changes;
}
