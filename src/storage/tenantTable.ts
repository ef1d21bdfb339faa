import { odata, type TableClient } from '@azure/data-tables';
import { isRowGone, TableStorageError } from '../renewal/errors';
import type { TenantDirectory } from '../renewal/ports';
import type { TenantRecord } from '../renewal/tenant';
import { readDate } from './subscriptionRow';
import { explainedTable } from './tableClient';

/** The one partition of the tenants table: a row per customer tenant, its id the RowKey. */
export const TENANT_PARTITION = 'tenant';

interface TenantEntity {
  partitionKey: string;
  rowKey: string;
  displayName?: unknown;
  addedAt?: unknown;
  consentState?: unknown;
  lastTokenAt?: unknown;
  lastErrorAt?: unknown;
  lastErrorMessage?: unknown;
}

/** The customer tenants added (TENANTS_TABLE), with the health of each one's last token request. */
export class TenantTable implements TenantDirectory {
  private readonly table: TableClient;
  readonly ensureExists: () => Promise<void>;

  constructor(client: TableClient) {
    ({ table: this.table, ensureExists: this.ensureExists } = explainedTable(client));
  }

  /** No table yet is no tenant added yet (a single-tenant deployment never creates it). */
  async list(): Promise<TenantRecord[]> {
    const tenants: TenantRecord[] = [];
    try {
      for await (const entity of this.table.listEntities<TenantEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${TENANT_PARTITION}` },
      })) {
        tenants.push(toTenant(entity));
      }
    } catch (error) {
      if (!(error instanceof TableStorageError && error.tableMissing)) throw error;
    }
    return tenants;
  }

  async get(id: string): Promise<TenantRecord | undefined> {
    try {
      return toTenant(await this.table.getEntity<TenantEntity>(TENANT_PARTITION, id));
    } catch (error) {
      if (isRowGone(error) || (error instanceof TableStorageError && error.tableMissing)) return undefined;
      throw error;
    }
  }

  async save(tenant: TenantRecord): Promise<void> {
    await this.table.upsertEntity<TenantEntity>(
      {
        partitionKey: TENANT_PARTITION,
        rowKey: tenant.id,
        ...(tenant.displayName ? { displayName: tenant.displayName } : {}),
        addedAt: tenant.addedAt,
        consentState: tenant.consentState,
        ...(tenant.lastTokenAt ? { lastTokenAt: tenant.lastTokenAt } : {}),
        ...(tenant.lastErrorAt ? { lastErrorAt: tenant.lastErrorAt } : {}),
        ...(tenant.lastErrorMessage ? { lastErrorMessage: tenant.lastErrorMessage } : {}),
      },
      'Replace',
    );
  }

  async remove(id: string): Promise<void> {
    try {
      await this.table.deleteEntity(TENANT_PARTITION, id);
    } catch (error) {
      if (!isRowGone(error)) throw error;
    }
  }

  /**
   * A merge of the health columns only, and only on a tenant still there: a run finishing after the
   * tenant was removed must not bring its row back.
   */
  async recordHealth(id: string, at: Date, problem?: { message: string; consentMissing: boolean }): Promise<void> {
    // A token that did not come for another reason (a timeout, Entra down) leaves the consent as it was.
    const health = problem
      ? {
          ...(problem.consentMissing ? { consentState: 'missing' } : {}),
          lastErrorAt: at,
          lastErrorMessage: problem.message.slice(0, 2000),
        }
      : { consentState: 'granted', lastTokenAt: at, lastErrorMessage: '' };
    try {
      await this.table.updateEntity({ partitionKey: TENANT_PARTITION, rowKey: id, ...health }, 'Merge', {
        etag: '*',
      });
    } catch (error) {
      if (!isRowGone(error)) throw error;
    }
  }
}

function toTenant(entity: TenantEntity): TenantRecord {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const displayName = text(entity.displayName);
  const lastTokenAt = readDate(entity.lastTokenAt);
  const lastErrorAt = readDate(entity.lastErrorAt);
  const lastErrorMessage = text(entity.lastErrorMessage);
  return {
    id: entity.rowKey.toLowerCase(),
    ...(displayName ? { displayName } : {}),
    // A row typed by hand without a date was added at some time unknown: the epoch says so plainly.
    addedAt: readDate(entity.addedAt) ?? new Date(0),
    consentState: entity.consentState === 'missing' ? 'missing' : 'granted',
    ...(lastTokenAt ? { lastTokenAt } : {}),
    ...(lastErrorAt ? { lastErrorAt } : {}),
    ...(lastErrorMessage ? { lastErrorMessage } : {}),
  };
}
