import { app } from '@azure/functions';
import { httpStatus } from './httpStatus';
import { operation, readJson } from './operationHandler';

/**
 * The customer tenants over HTTP, behind a function key: add one (once its admin has consented),
 * list them with their health, remove one with its subscriptions. Thin, as the other operations.
 */

export const addTenant = operation(async (input, { addTenant }, request) => ({
  status: 201,
  jsonBody: { success: true, tenant: await addTenant(input, await readJson(request)) },
}));

export const listTenants = operation(async (input, { listTenants }) => ({
  status: 200,
  jsonBody: { success: true, tenants: await listTenants(input) },
}));

export const removeTenant = operation(async (input, { removeTenant }, request) => {
  const report = await removeTenant(input, request.params.tenantId ?? '');
  // Subscriptions left: the tenant is kept and the answer says which, as Graph's failure (502).
  return {
    status: report.tenant === 'kept' ? httpStatus('upstreamFailed') : 200,
    jsonBody: { success: report.tenant === 'deleted', ...report },
  };
});

app.http('addTenant', { route: 'tenants', methods: ['POST'], authLevel: 'function', handler: addTenant });
app.http('listTenants', { route: 'tenants', methods: ['GET'], authLevel: 'function', handler: listTenants });
app.http('removeTenant', {
  route: 'tenants/{tenantId}',
  methods: ['DELETE'],
  authLevel: 'function',
  handler: removeTenant,
});
