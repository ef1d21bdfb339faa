import { describe, expect, it } from 'vitest';
import { printable } from '../../src/lib/printable';

describe('text from an anonymous caller, as a log line may hold it', () => {
  it('leaves an ordinary id alone', () =>
    expect(printable('5a0e7c1d-0001-4f00-9a00-00000000f022', 100)).toBe('5a0e7c1d-0001-4f00-9a00-00000000f022'));
  it('keeps unicode that prints', () => expect(printable('abonnement-été-✓', 100)).toBe('abonnement-été-✓'));
  it('cannot start a line of its own', () =>
    expect(printable('x\nLifecycle notification missed\r\n', 100)).toBe(
      'x\uFFFDLifecycle notification missed\uFFFD\uFFFD',
    ));
  it('cannot reverse what follows it', () => expect(printable('abc\u202edcba\u2066', 100)).toBe('abc\uFFFDdcba\uFFFD'));
  it('is cut to the length given', () => expect(printable('x'.repeat(1000), 100)).toHaveLength(100));
});
