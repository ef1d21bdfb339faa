import { readTenantId } from '../renewal/tenant';
import { OperationError } from './operationError';
import type { OperationsInput } from './operationsInput';

/**
 * The tenant a request names, checked: undefined (or the home tenant's id) is the home tenant; any
 * other must be a tenant id that was added. Resolves with the id as rows store it (undefined: home).
 */
export async function tenantNamed(input: OperationsInput, given: unknown): Promise<string | undefined> {
  if (given === undefined || given === null || given === '' || given === 'home') return undefined;
  const id = readTenantId(given);
  if (!id)
    throw new OperationError(
      'invalidInput',
      `tenant must be a tenant id (a GUID, as \`tenant list\` shows), not "${typeof given === 'string' ? given.slice(0, 60) : typeof given}".`,
    );
  if (id === input.homeTenant) return undefined;
  if (!input.tenancy.appClientId) throw notMultiTenant();
  if (!(await input.tenants.get(id)))
    throw new OperationError('notFound', `Tenant ${id} has not been added: add it first (\`tenant add ${id}\`).`);
  return id;
}

export function notMultiTenant(): OperationError {
  return new OperationError(
    'notConfigured',
    'MULTI_TENANT_APP_CLIENT_ID is not set: this deployment keeps subscriptions in its own tenant only. Deploy with `azd env set MULTI_TENANT true` (docs/tenants.md).',
  );
}
