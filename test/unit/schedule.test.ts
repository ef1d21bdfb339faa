import { describe, expect, it } from 'vitest';
import {
  describeOffset,
  nextRunAfter,
  RENEWAL_SCHEDULE,
  toZonedIso,
  utcOffsetAt,
} from '../../src/renewal/policy/schedule';

const PARIS = 'Europe/Paris';

describe('the next scheduled run, 09:00 in Paris', () => {
  it('is 08:00 UTC in winter', () => {
    expect(nextRunAfter(new Date('2026-11-28T12:00:00Z'), RENEWAL_SCHEDULE, PARIS)).toEqual(
      new Date('2026-11-29T08:00:00Z'),
    );
  });

  it('is 07:00 UTC in summer', () => {
    expect(nextRunAfter(new Date('2026-07-01T12:00:00Z'), RENEWAL_SCHEDULE, PARIS)).toEqual(
      new Date('2026-07-02T07:00:00Z'),
    );
  });

  it('moves to 08:00 UTC across the autumn change (2026-10-25)', () => {
    const next = nextRunAfter(new Date('2026-10-24T07:00:00Z'), RENEWAL_SCHEDULE, PARIS);
    expect(next).toEqual(new Date('2026-10-25T08:00:00Z'));
    expect(toZonedIso(next, PARIS)).toBe('2026-10-25T09:00:00+01:00');
  });

  it('moves to 07:00 UTC across the spring change (2027-03-28)', () => {
    const next = nextRunAfter(new Date('2027-03-27T08:00:00Z'), RENEWAL_SCHEDULE, PARIS);
    expect(next).toEqual(new Date('2027-03-28T07:00:00Z'));
    expect(toZonedIso(next, PARIS)).toBe('2027-03-28T09:00:00+02:00');
  });

  it('is still today when the check has not run yet', () => {
    expect(nextRunAfter(new Date('2026-11-28T07:59:59Z'), RENEWAL_SCHEDULE, PARIS)).toEqual(
      new Date('2026-11-28T08:00:00Z'),
    );
  });

  it('runs at 09:00 UTC when no time zone is set', () => {
    expect(nextRunAfter(new Date('2026-11-28T12:00:00Z'), RENEWAL_SCHEDULE, 'UTC')).toEqual(
      new Date('2026-11-29T09:00:00Z'),
    );
  });
});

describe('offsets', () => {
  it('names the offset the way the seed did', () => {
    expect(describeOffset(utcOffsetAt(new Date('2026-01-15T08:00:00Z'), PARIS))).toBe('UTC+1');
    expect(describeOffset(utcOffsetAt(new Date('2026-07-15T07:00:00Z'), PARIS))).toBe('UTC+2');
    expect(describeOffset(utcOffsetAt(new Date('2026-07-15T07:00:00Z'), 'UTC'))).toBe('UTC');
    expect(describeOffset(utcOffsetAt(new Date('2026-07-15T07:00:00Z'), 'Asia/Kolkata'))).toBe('UTC+5:30');
  });

  it('writes local time with its offset', () => {
    expect(toZonedIso(new Date('2026-11-29T08:00:00Z'), PARIS)).toBe('2026-11-29T09:00:00+01:00');
    expect(toZonedIso(new Date('2026-11-29T08:00:00Z'), 'UTC')).toBe('2026-11-29T08:00:00+00:00');
  });
});
