import { describe, expect, it } from 'vitest';
import { sameSecret } from '../../src/lib/sameSecret';
import { MAX_ITEMS, parseNotifications } from '../../src/lifecycle/payload';

describe('a lifecycle payload', () => {
  it('is read as Graph sends it', () => {
    const parsed = parseNotifications({
      value: [
        {
          subscriptionId: 's1',
          subscriptionExpirationDateTime: '2026-02-17T14:00:00Z',
          tenantId: 't',
          clientState: 'c',
          lifecycleEvent: 'missed',
          resource: 'users/x/messages',
        },
      ],
    });
    expect(parsed).toEqual({
      items: [{ subscriptionId: 's1', clientState: 'c', lifecycleEvent: 'missed', resource: 'users/x/messages' }],
      rejected: [],
    });
  });

  it.each([null, 3, 'text', [], {}, { value: {} }])('%j is not one, and says so', (body) => {
    expect(typeof parseNotifications(body)).toBe('string');
  });

  it('refuses more items than any batch holds', () => {
    expect(parseNotifications({ value: Array.from({ length: MAX_ITEMS + 1 }, () => ({})) })).toMatch(/at most 1000/);
  });

  it('sets aside items without what every lifecycle notification has, saying what is missing', () => {
    const parsed = parseNotifications({
      value: [null, { subscriptionId: 's' }, { subscriptionId: 's', lifecycleEvent: 'missed' }],
    });
    expect(parsed).toMatchObject({
      items: [],
      rejected: [
        { index: 0, reason: 'no subscriptionId' },
        { index: 1, subscriptionId: 's', reason: expect.stringMatching(/^no lifecycleEvent/) },
        { index: 2, reason: 'no clientState' },
      ],
    });
  });
});

describe('comparing client states', () => {
  it('is true only for the same value, whatever the lengths', () => {
    expect(sameSecret('a-client-state-value', 'a-client-state-value')).toBe(true);
    expect(sameSecret('a-client-state-valuf', 'a-client-state-value')).toBe(false);
    expect(sameSecret('', 'a-client-state-value')).toBe(false);
    expect(sameSecret('a-client-state-value-and-more', 'a-client-state-value')).toBe(false);
  });
});
