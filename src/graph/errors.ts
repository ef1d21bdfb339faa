import { GraphRequestError } from '../renewal/errors';

interface GraphClientErrorShape {
  statusCode?: number;
  code?: string | null;
  message?: string;
  requestId?: string | null;
  headers?: { get(name: string): string | null };
}

/** Turns what the Graph client threw into a GraphRequestError that says what happened. */
export function toGraphRequestError(error: unknown): GraphRequestError {
  if (error instanceof GraphRequestError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as GraphClientErrorShape;
  const status = typeof shape.statusCode === 'number' && shape.statusCode > 0 ? shape.statusCode : 0;
  const message = shape.message || String(error);
  if (status === 0) {
    const timedOut = /abort|timeout|timed out/i.test(`${shape.code ?? ''} ${message}`);
    return new GraphRequestError(
      0,
      timedOut ? 'Timeout' : 'NetworkError',
      timedOut ? 'Graph did not answer in time.' : `No answer from Graph: ${message}`,
    );
  }
  return new GraphRequestError(
    status,
    shape.code || `Http${status}`,
    message,
    shape.headers?.get('retry-after') ?? undefined,
    shape.requestId ?? undefined,
    readHttpDate(shape.headers?.get('date')),
  );
}

function readHttpDate(value: string | null | undefined): Date | undefined {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : new Date(time);
}
