import { describe, expect, it } from 'vitest';
import { type SubscriptionEntity, toStoredRow } from '../../src/storage/subscriptionRow';

const valid: SubscriptionEntity = {
  partitionKey: 'default',
  rowKey: 'a1b2',
  etag: 'W/"1"',
  resource: 'users/x/messages',
  expirationDateTime: new Date('2026-02-17T14:00:00Z'),
};

const problem = (entity: SubscriptionEntity) => {
  const row = toStoredRow(entity);
  return row.ok ? undefined : row.problem;
};

describe('reading a subscription row', () => {
  it('reads a well-formed row', () => {
    expect(toStoredRow(valid)).toMatchObject({
      ok: true,
      subscription: { id: 'a1b2', state: 'active', consecutiveFailures: 0, etag: 'W/"1"' },
    });
  });

  it('accepts an ISO 8601 string typed by hand, with its zone', () => {
    const row = toStoredRow({ ...valid, expirationDateTime: '2026-02-17T15:00:00+01:00' });
    expect(row.ok && row.subscription.expirationDateTime).toEqual(new Date('2026-02-17T14:00:00Z'));
  });

  it('reads a failure count stored as Int64 or as a whole Double', () => {
    const int64 = toStoredRow({ ...valid, consecutiveFailures: { value: '3', type: 'Int64' } });
    expect(int64.ok && int64.subscription.consecutiveFailures).toBe(3);
    const double = toStoredRow({ ...valid, consecutiveFailures: 2 });
    expect(double.ok && double.subscription.consecutiveFailures).toBe(2);
  });

  it('reads the state whatever its case', () => {
    const row = toStoredRow({ ...valid, state: 'Expired' });
    expect(row.ok && row.subscription.state).toBe('expired');
  });

  it('names an empty RowKey', () => expect(problem({ ...valid, rowKey: '' })).toMatch(/RowKey/));
  it('reads a tenant id typed in capitals as the id, and no tenant as the home tenant', () => {
    const row = toStoredRow({ ...valid, tenantId: ' 11111111-AAAA-4111-8111-111111111111 ' });
    expect(row.ok && row.subscription.tenantId).toBe('11111111-aaaa-4111-8111-111111111111');
    const home = toStoredRow({ ...valid, tenantId: '' });
    expect(home.ok && 'tenantId' in home.subscription).toBe(false);
  });
  it('names a tenantId that is not a tenant id', () =>
    expect(problem({ ...valid, tenantId: 'contoso.com' })).toMatch(/^tenantId "contoso.com" is not a tenant id/));
  it('names a missing resource', () =>
    expect(problem({ ...valid, resource: undefined })).toMatch(/^resource is missing/));
  it('names a resource of the wrong type', () => expect(problem({ ...valid, resource: 42 })).toMatch(/^resource/));
  it('names a missing expiration', () =>
    expect(problem({ ...valid, expirationDateTime: undefined })).toMatch(/expirationDateTime is missing/));
  it('names an expiration that is not a date', () =>
    expect(problem({ ...valid, expirationDateTime: 'tomorrow' })).toMatch(/expirationDateTime is not a date/));
  it('refuses a date without a zone', () =>
    expect(problem({ ...valid, expirationDateTime: '2026-02-17T15:00:00' })).toMatch(/expirationDateTime/));
  it('names an unknown state', () => expect(problem({ ...valid, state: 'paused' })).toMatch(/state "paused"/));
  it('names a bad failure count', () =>
    expect(problem({ ...valid, consecutiveFailures: -1 })).toMatch(/consecutiveFailures/));
  it('names a lease that is not a date, rather than reading it as no lease', () =>
    expect(problem({ ...valid, leaseUntil: 12 })).toMatch(/^leaseUntil is not a date/));
  it('names a recreation mark that is not a date, rather than creating again without looking', () =>
    expect(problem({ ...valid, recreateStartedAt: 'soon' })).toMatch(/^recreateStartedAt is not a date/));
  it('reads an unreadable note (a recorded failure, a date it keeps) as absent: the row is still renewed', () => {
    const row = toStoredRow({
      ...valid,
      lastErrorStatus: 'teapot',
      lastErrorMessage: true,
      lastRenewedAt: 12,
      replaces: 12,
    });
    expect(row.ok).toBe(true);
    expect(row.ok && row.subscription.replaces).toBeUndefined();
  });
  it('reads a mark cleared the way the app clears it (empty) as absent', () => {
    const row = toStoredRow({ ...valid, leaseUntil: '', recreateStartedAt: '', replaces: '', lastErrorAt: null });
    expect(row.ok && row.subscription.leaseUntil).toBeUndefined();
  });
});

describe('reading a subscription row’s definition and marks', () => {
  const full = {
    ...valid,
    changeType: 'created,updated',
    notificationUrl: 'https://consumer.example/hook',
    lifecycleNotificationUrl: 'https://app.example/api/webhooks/lifecycle',
    includeResourceData: 'false',
    latestSupportedTlsVersion: 'v1_2',
    replaces: 'old-id',
    recreatedAt: new Date('2026-02-16T09:00:00Z'),
    pendingLifecycleEvent: 'reauthorizationRequired',
    leaseUntil: '',
  };

  it('reads what a recreation needs, and the trail', () => {
    const row = toStoredRow(full);
    expect(row.ok && row.subscription).toMatchObject({
      changeType: 'created,updated',
      notificationUrl: 'https://consumer.example/hook',
      includeResourceData: false,
      replaces: 'old-id',
      pendingLifecycleEvent: 'reauthorizationRequired',
      leaseUntil: undefined,
    });
  });

  it('still reads a row without a definition (it can be renewed, not recreated)', () => {
    expect(toStoredRow(valid).ok).toBe(true);
  });

  it.each([
    ['changeType', 7, /^changeType must be text/],
    ['notificationUrl', true, /^notificationUrl must be text/],
    ['includeResourceData', 'maybe', /^includeResourceData must be true or false/],
    ['pendingLifecycleEvent', 'paused', /^pendingLifecycleEvent "paused"/],
  ])('names %s of the wrong type', (field, value, message) => {
    expect(problem({ ...full, [field]: value })).toMatch(message);
  });
});
