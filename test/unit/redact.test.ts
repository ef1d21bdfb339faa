import { describe, expect, it } from 'vitest';
import { redact } from '../../src/lib/redact';

describe('redacting secrets from messages', () => {
  it('hides an account key', () => {
    expect(redact('conn DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc+/==;')).toBe(
      'conn DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];',
    );
  });
  it('hides a SAS signature', () =>
    expect(redact('https://a/t?sv=1&sig=abc%2F')).toBe('https://a/t?sv=1&sig=[redacted]'));
  it('hides a bearer token', () =>
    expect(redact('Authorization: Bearer eyJ0.eyJ.sig')).toBe('Authorization: Bearer [redacted]'));
  it('hides a token in a JSON body', () =>
    expect(redact('{"access_token":"eyJabc","expires_on":"1"}')).toBe(
      '{"access_token":"[redacted]","expires_on":"1"}',
    ));
  it('hides a client secret in a form body', () =>
    expect(redact('grant_type=x&client_secret=abc~1&scope=y')).toBe('grant_type=x&client_secret=[redacted]&scope=y'));
  it('hides the identity header', () =>
    expect(redact('headers: {"x-identity-header":"f00d"}')).toBe('headers: {"x-identity-header":"[redacted]"}'));
  it('leaves ordinary text alone', () =>
    expect(redact('Subscription abc failed: 503')).toBe('Subscription abc failed: 503'));
});
