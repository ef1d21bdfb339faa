import { describe, expect, it } from 'vitest';
import { failuresWithStatus, httpStatus } from '../../src/functions/httpStatus';

describe('the one table from a kind of failure to its HTTP status', () => {
  it.each([
    ['invalidInput', 400],
    ['notFound', 404],
    ['conflict', 409],
    ['unsupportedMediaType', 415],
    ['internal', 500],
    ['upstreamFailed', 502],
    ['unavailable', 503],
    ['notConfigured', 503],
    ['notRecorded', 503],
  ] as const)('answers %s with %i', (kind, status) => expect(httpStatus(kind)).toBe(status));

  it("shows an update's failures with the status a single update answers, in the order they came", () => {
    expect(
      failuresWithStatus([
        { id: 'a', error: 'busy', kind: 'conflict' },
        { id: 'b', error: 'refused', kind: 'upstreamFailed' },
      ]),
    ).toEqual([
      { id: 'a', error: 'busy', status: 409 },
      { id: 'b', error: 'refused', status: 502 },
    ]);
  });
});
