import { app } from '@azure/functions';
import { OperationError } from '../operations/operationError';
import { httpStatus, updateReportBody } from './httpStatus';
import { operation, readJson } from './operationHandler';

/**
 * The manual operations over HTTP, each behind a function key: register, adopt, list, remove and
 * renew now. Thin: they read the request and call src/operations, which the CLI calls too.
 */

export const registerSubscription = operation(async (input, { register }, request) => {
  const body = await readJson(request);
  const result = await register(input, body);
  return { status: 201, jsonBody: { success: true, ...result } };
});

export const listSubscriptions = operation(async (input, { listSubscriptionsPage, readListQuery }, request) => {
  // One page a call (?limit=, then ?continuation= from the answer): the answer's size is bounded.
  const query = readListQuery((name) => request.query.getAll(name), new Date(), request.query.keys());
  return { status: 200, jsonBody: { success: true, ...(await listSubscriptionsPage(input, query)) } };
});

export const adoptSubscriptions = operation(async (input, { adopt }, request) => {
  const partitionKey = request.query.get('partitionKey') ?? undefined;
  const missing = request.query.get('missing');
  if (missing !== null && missing !== 'true' && missing !== 'false')
    throw new OperationError(
      'invalidInput',
      `missing must be true or false, e.g. ?missing=true (got "${missing.slice(0, 40)}").`,
    );
  const tenant = request.query.get('tenant') ?? undefined;
  return {
    status: 200,
    jsonBody: { success: true, ...(await adopt(input, partitionKey, { reportMissing: missing === 'true', tenant })) },
  };
});

export const removeSubscription = operation(async (input, { remove }, request) => {
  const id = request.params.id ?? '';
  // The tenant is needed only for a subscription no row knows (deleted on that tenant's Graph).
  const tenant = request.query.get('tenant') ?? undefined;
  return { status: 200, jsonBody: { success: true, ...(await remove(input, id, tenant)) } };
});

export const renewSubscriptionsNow = operation(async (input, { renewNow }, request) => {
  const body = (await readJson(request)) ?? {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new OperationError(
      'invalidInput',
      'The request body must be a JSON object, e.g. {"id": "...", "force": true}.',
    );
  const { id, force, tenantId, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    throw new OperationError(
      'invalidInput',
      `Unknown field(s): ${Object.keys(rest).join(', ').slice(0, 200)}. Accepted: id, force, tenantId.`,
    );
  if (tenantId !== undefined && typeof tenantId !== 'string')
    throw new OperationError('invalidInput', 'tenantId must be a tenant id (a string), or "home".');
  if (id !== undefined && (typeof id !== 'string' || id.trim() === ''))
    throw new OperationError('invalidInput', 'id must be a subscription id (a string).');
  if (force !== undefined && typeof force !== 'boolean')
    throw new OperationError('invalidInput', 'force must be true or false.');
  const result = await renewNow(input, {
    id: id?.trim(),
    force,
    ...(tenantId !== undefined ? { tenant: tenantId } : {}),
  });
  // A run that renewed nothing it had to is a failure of the run, not of the request: 502 says "upstream".
  return {
    status: result.outcome === 'failed' ? httpStatus('upstreamFailed') : 200,
    jsonBody: { success: result.outcome !== 'failed', run: result },
  };
});

export const updateSubscription = operation(async (input, { update }, request) => {
  const report = await update(input, { id: request.params.id ?? '' }, (await readJson(request)) ?? {});
  // One subscription: its failure is the answer's status (409 busy, 502 Graph refused, 503 table or identity).
  const failed = report.failed[0];
  const status = failed ? httpStatus(failed.kind) : 200;
  return { status, jsonBody: { success: report.failed.length === 0, ...updateReportBody(report) } };
});

export const updateSubscriptions = operation(async (input, { update }, request) => {
  const partitionKey = request.query.get('partitionKey');
  if (partitionKey === null) {
    throw new OperationError(
      'invalidInput',
      'partitionKey is missing: PATCH /api/webhooks/subscriptions?partitionKey=P updates every subscription of partition P; PATCH /api/webhooks/subscriptions/{id} updates one.',
    );
  }
  const report = await update(input, { partitionKey }, (await readJson(request)) ?? {});
  // Each subscription's outcome is in the report; the answer is 502 only when none could be updated.
  const none =
    report.failed.length > 0 &&
    report.updated.length + report.recreated.length + report.storedForRecreation.length + report.unchanged.length === 0;
  return {
    status: none ? httpStatus('upstreamFailed') : 200,
    jsonBody: { success: report.failed.length === 0, ...updateReportBody(report) },
  };
});

app.http('registerSubscription', {
  route: 'webhooks/subscriptions',
  methods: ['POST'],
  authLevel: 'function',
  handler: registerSubscription,
});
app.http('listSubscriptions', {
  route: 'webhooks/subscriptions',
  methods: ['GET'],
  authLevel: 'function',
  handler: listSubscriptions,
});
app.http('adoptSubscriptions', {
  route: 'webhooks/subscriptions/adopt',
  methods: ['POST'],
  authLevel: 'function',
  handler: adoptSubscriptions,
});
app.http('renewSubscriptionsNow', {
  route: 'webhooks/subscriptions/renew',
  methods: ['POST'],
  authLevel: 'function',
  handler: renewSubscriptionsNow,
});
app.http('updateSubscription', {
  route: 'webhooks/subscriptions/{id}',
  methods: ['PATCH'],
  authLevel: 'function',
  handler: updateSubscription,
});
app.http('updateSubscriptions', {
  route: 'webhooks/subscriptions',
  methods: ['PATCH'],
  authLevel: 'function',
  handler: updateSubscriptions,
});
app.http('removeSubscription', {
  route: 'webhooks/subscriptions/{id}',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: removeSubscription,
});
