import { printable } from '../lib/printable';
import { redact } from '../lib/redact';
import { ConsentMissingError, CredentialError } from '../renewal/errors';
import { eventLine } from '../renewal/events';
import { adminConsentUrl, lastTokenFailed, readTenantId, type TenantRecord } from '../renewal/tenant';
import { OperationError } from './operationError';
import { remove } from './operations';
import type { OperationsInput } from './operationsInput';
import { notMultiTenant, tenantNamed } from './tenantNamed';

/** A tenant as the operations answer it: its record, where its admin consents, and whether it is the home one. */
export interface TenantView {
  id: string;
  displayName?: string;
  home: boolean;
  /** `granted`: the last token came; `missing`: Entra refused it (no consent, or withdrawn). The home tenant: `managedIdentity`. */
  consent: 'granted' | 'missing' | 'managedIdentity';
  addedAt?: string;
  lastTokenAt?: string;
  lastErrorAt?: string;
  lastError?: string;
  /** Where the tenant's admin grants (or grants again) the app's permissions. */
  consentUrl?: string;
}

/**
 * Adds a customer tenant: asks Entra for a Graph token for it with the multi-tenant app (which proves
 * its admin has consented) and stores it. Without consent nothing is stored and the error says which
 * URL the tenant's admin must open.
 */
export async function addTenant(input: OperationsInput, body: unknown): Promise<TenantView> {
  const appClientId = input.tenancy.appClientId;
  if (!appClientId) throw notMultiTenant();
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const id = readTenantId(fields.tenantId);
  if (!id)
    throw new OperationError(
      'invalidInput',
      'tenantId must be the customer tenant id (a GUID; its admin finds it in the Entra admin center, Overview).',
    );
  if (id === input.homeTenant)
    throw new OperationError('invalidInput', `Tenant ${id} is this app's own tenant: it needs no adding.`);
  const displayName =
    typeof fields.displayName === 'string' && fields.displayName.trim() !== ''
      ? printable(fields.displayName.trim(), 100)
      : undefined;
  const consentUrl = adminConsentUrl(input.tenancy.authorityHost, id, appClientId);
  await input.tenants.ensureExists();
  try {
    await input.graphs.forTenant(id).ready();
  } catch (error) {
    if (!(error instanceof CredentialError)) throw error;
    // A timeout or Entra down says nothing of consent: try again later.
    if (!(error instanceof ConsentMissingError))
      throw new OperationError('unavailable', `Tenant ${id} gave no token for now: ${redact(error.message)}`);
    throw new OperationError(
      'conflict',
      `Tenant ${id} gave no token for the app ${appClientId}: its admin must grant consent first, by opening ${consentUrl} (then add the tenant again). Entra said: ${redact(error.message)}`,
    );
  }
  const now = new Date();
  const existing = await input.tenants.get(id);
  const record: TenantRecord = {
    id,
    ...((displayName ?? existing?.displayName) ? { displayName: displayName ?? existing?.displayName } : {}),
    addedAt: existing?.addedAt ?? now,
    consentState: 'granted',
    lastTokenAt: now,
  };
  await input.tenants.save(record);
  input.log.info(
    eventLine(`Tenant added: ${id}${displayName ? ` (${displayName})` : ''}; a Graph token came for it.`, {
      event: 'tenantAdded',
      tenantId: id,
    }),
  );
  return viewOfTenant(input, record);
}

/** The home tenant and every customer tenant added, with the health of its last token request. */
export async function listTenants(input: OperationsInput): Promise<TenantView[]> {
  const home: TenantView = { id: input.homeTenant, home: true, consent: 'managedIdentity' };
  if (!input.tenancy.appClientId) return [home];
  await input.tenants.ensureExists();
  const customers = await input.tenants.list();
  return [home, ...customers.map((tenant) => viewOfTenant(input, tenant))];
}

/**
 * Offboards a tenant: each of its subscriptions is deleted on Graph, then its row (as `remove` does);
 * the tenant's record goes last, and only when every subscription went. What could not be removed is
 * listed, and the tenant stays so that removing it again finishes the work. A tenant whose consent is
 * gone (its admin deleted the enterprise application first) can no longer be reached: its rows are
 * deleted all the same (`onGraph: 'unreachable'`), and its subscriptions end on Graph by themselves
 * within their lifetime, as nothing renews them.
 */
export async function removeTenant(
  input: OperationsInput,
  given: string,
): Promise<{
  id: string;
  onGraph: 'deleted' | 'unreachable';
  removed: string[];
  failed: { id: string; error: string }[];
  tenant: 'deleted' | 'kept';
}> {
  const id = await tenantNamed(input, given);
  if (id === undefined)
    throw new OperationError('invalidInput', "The home tenant cannot be removed: it is the app's own.");
  // Whether the tenant's Graph can still be reached: a cached token may hide a consent withdrawn since,
  // so the question is asked again after any failure (a refused token builds a fresh credential).
  const probe = () =>
    input.graphs
      .forTenant(id)
      .ready()
      .then(
        () => true,
        (error: unknown) => {
          if (error instanceof ConsentMissingError) return false;
          // Any other failure to get a token (a timeout, Entra down) may pass: nothing more is removed.
          throw new OperationError('unavailable', redact((error as Error).message));
        },
      );
  let reachable = await probe();
  const removed: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const subscriptionId of await input.catalogue.idsInTenant(id)) {
    try {
      if (reachable) {
        try {
          await remove(input, subscriptionId);
        } catch (error) {
          // A consent withdrawn since the last token shows only now: the row then goes alone.
          if ((error instanceof OperationError && error.kind === 'notFound') || (reachable = await probe()))
            throw error;
          await removeRow(input, subscriptionId);
        }
      } else await removeRow(input, subscriptionId);
      removed.push(subscriptionId);
    } catch (error) {
      // Already gone on both sides is what offboarding wants.
      if (error instanceof OperationError && error.kind === 'notFound') removed.push(subscriptionId);
      else failed.push({ id: subscriptionId, error: redact((error as Error).message) });
    }
  }
  const onGraph = reachable ? 'deleted' : 'unreachable';
  if (failed.length > 0) return { id, onGraph, removed, failed, tenant: 'kept' };
  await input.tenants.remove(id);
  input.log.info(
    eventLine(
      `Tenant removed: ${id}, with its ${removed.length} subscription(s)${reachable ? '' : ' (rows only: the tenant gives no token, its subscriptions end on Graph within their lifetime)'}.`,
      {
        event: 'tenantRemoved',
        tenantId: id,
        subscriptions: removed.length,
      },
    ),
  );
  return { id, onGraph, removed, failed, tenant: 'deleted' };
}

/** The row alone, leased like a renewal so that no run is at work on it while it goes. */
async function removeRow(input: OperationsInput, subscriptionId: string): Promise<void> {
  const { store } = input;
  const found = await store.find(subscriptionId);
  if (!found) return;
  const leaseMs = (await input.renewalContext()).leaseMs;
  const row = await store.claim(found, new Date(Date.now() + leaseMs), () => true);
  if (!row)
    throw new OperationError(
      'conflict',
      `Subscription ${subscriptionId} is being renewed or recreated right now; remove the tenant again in a few minutes.`,
    );
  await store.remove(row);
}

function viewOfTenant(input: OperationsInput, tenant: TenantRecord): TenantView {
  return {
    id: tenant.id,
    ...(tenant.displayName ? { displayName: tenant.displayName } : {}),
    home: false,
    consent: tenant.consentState,
    addedAt: tenant.addedAt.toISOString(),
    ...(tenant.lastTokenAt ? { lastTokenAt: tenant.lastTokenAt.toISOString() } : {}),
    ...(tenant.lastErrorAt ? { lastErrorAt: tenant.lastErrorAt.toISOString() } : {}),
    ...(lastTokenFailed(tenant) ? { lastError: tenant.lastErrorMessage } : {}),
    consentUrl: adminConsentUrl(input.tenancy.authorityHost, tenant.id, input.tenancy.appClientId!),
  };
}
