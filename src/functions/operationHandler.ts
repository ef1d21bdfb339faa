import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError, loadConfig } from '../config';
import { redact } from '../lib/redact';
import { OperationError } from '../operations/operationError';
import type { OperationsInput } from '../operations/operationsInput';
import { isStoreUnavailable } from '../renewal/errors';
import { type FailureKind, httpStatus } from './httpStatus';

// What every manual operation over HTTP shares: the lazy load, the answer's headers, the failures.

export type Operations = typeof import('../operations/operations.js') &
  typeof import('../operations/listPage.js') &
  typeof import('../operations/update.js') &
  typeof import('../operations/tenants.js');

// The clients and the operations load on first use, not with the bundle (see renewSubscriptions.ts).
const load = async () => {
  const [root, operations, listPage, updates, tenants] = await Promise.all([
    import('../compositionRoot.js'),
    import('../operations/operations.js'),
    import('../operations/listPage.js'),
    import('../operations/update.js'),
    import('../operations/tenants.js'),
  ]);
  return [root, { ...operations, ...listPage, ...updates, ...tenants }] as const;
};

/** An operation over HTTP: reads the request, calls src/operations (which the CLI calls too), answers. */
type Operation = (input: OperationsInput, operations: Operations, request: HttpRequest) => Promise<Answer>;

/** An operation's answer: its headers are set in one place, withNoStore. */
type Answer = Omit<HttpResponseInit, 'headers'>;

export function operation(
  handler: Operation,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    try {
      const [{ operationsInputFor }, operations] = await load();
      return withNoStore(await handler(operationsInputFor(loadConfig(), context), operations, request));
    } catch (error) {
      if (error instanceof OperationError) return failure(error.kind, redact(error.message));
      if (error instanceof ConfigError) return failure('notConfigured', `Configuration error: ${error.message}`);
      // The table service down, a table missing or access refused: unavailable, not broken (503, as the
      // status endpoint says). Any other table error (a conflict, a bad request) is a failure like the rest.
      if (isStoreUnavailable(error)) {
        const message = redact((error as Error).message);
        context.error(`Operation ${context.functionName} failed: ${message}`);
        return failure('unavailable', `The operation failed: ${message}`);
      }
      const message = redact(error instanceof Error ? error.message : String(error));
      context.error(`Operation ${context.functionName} failed: ${message}`);
      return failure('internal', `The operation failed: ${message}`);
    }
  };
}

export async function readJson(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationError('invalidInput', 'The request body is not valid JSON.');
  }
}

function failure(kind: FailureKind, error: string): Answer {
  return withNoStore({ status: httpStatus(kind), jsonBody: { success: false, error } });
}

function withNoStore(response: Answer): HttpResponseInit {
  return { ...response, headers: { 'Cache-Control': 'no-store' } };
}
