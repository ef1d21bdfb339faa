import { HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { expect } from 'vitest';
import type { Harness } from './harness';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * Calls an operation's HTTP function as the host would, records the answer for the suite's leak
 * check, and checks that no answer ever carries the client state.
 */
export async function callOperation(
  harness: Harness,
  handler: Handler,
  method: string,
  path: string,
  body?: unknown,
  params: Record<string, string> = {},
): Promise<{ status: number; jsonBody: Record<string, any> }> {
  const request = new HttpRequest({
    method,
    url: `http://localhost:7071/api/${path}`,
    params,
    ...(body === undefined ? {} : { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }),
  });
  const answer = harness.answered(await handler(request, harness.context('operations')));
  expect(JSON.stringify(answer.jsonBody)).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
  return answer as { status: number; jsonBody: Record<string, any> };
}
