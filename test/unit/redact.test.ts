import { describe, expect, it } from 'vitest';
import { redact } from '../../src/redact';

describe('redacting secrets from messages', () => {
  it('hides an account key', () => {
    expect(redact('conn DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc+/==;')).toBe(
      'conn DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];',
    );
  });
  it('hides a SAS signature', () => expect(redact('https://a/t?sv=1&sig=abc%2F')).toBe('https://a/t?sv=1&sig=[redacted]'));
  it('hides a bearer token', () => expect(redact('Authorization: Bearer eyJ0.eyJ.sig')).toBe('Authorization: Bearer [redacted]'));
  it('leaves ordinary text alone', () => expect(redact('Subscription abc failed: 503')).toBe('Subscription abc failed: 503'));
});
