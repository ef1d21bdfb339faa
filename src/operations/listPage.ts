import type { ListQuery } from '../renewal/subscriptionCatalogue';
import { readTenantId } from '../renewal/tenant';
import { OperationError } from './operationError';
import type { OperationsInput } from './operationsInput';
import { readPartitionKey } from './registration';
import { type SubscriptionView, viewOf } from './subscriptionView';

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
const MAX_HOURS = 24 * 365;
/** What a list request may say (`code` is the function key, read by the host). */
export const LIST_PARAMETERS = [
  'limit',
  'continuation',
  'partitionKey',
  'state',
  'expiringWithinHours',
  'failing',
  'tenant',
] as const;

export interface ListAnswer {
  subscriptions: SubscriptionView[];
  malformed: { partitionKey: string; rowKey: string; problem: string }[];
  /** The table's own continuation token: pass it back for the next page; null on the last. */
  continuation: string | null;
  limit: number;
}

/**
 * One page of the stored subscriptions: one request to the table service, whatever the table's size,
 * so memory stays flat. Filters by partition, state, expiring within N hours and failing, on the
 * service where it can (src/storage/subscriptionQueries.ts).
 */
export async function listSubscriptionsPage(
  { catalogue, homeTenant }: Pick<OperationsInput, 'catalogue' | 'homeTenant'>,
  query: ListQuery,
): Promise<ListAnswer> {
  await catalogue.ensureExists();
  // The home tenant named by its id (as `tenant list` shows it) is the rows without a tenant.
  const { rows, continuation } = await catalogue.listPage(
    query.tenantId === homeTenant ? { ...query, tenantId: null } : query,
  );
  const answer: ListAnswer = {
    subscriptions: [],
    malformed: [],
    continuation: continuation ?? null,
    limit: query.limit,
  };
  for (const row of rows) {
    if (row.ok) answer.subscriptions.push(viewOf(row.subscription));
    else answer.malformed.push({ partitionKey: row.partitionKey, rowKey: row.rowKey, problem: row.problem });
  }
  return answer;
}

/**
 * A list request's parameters, each checked: a bad one is a 400 that names it and gives an example.
 * `get` reads one parameter's every occurrence (twice is refused: which one was meant?).
 */
export function readListQuery(get: (name: string) => string[], now: Date, names: Iterable<string> = []): ListQuery {
  for (const name of names) {
    if (name !== 'code' && !(LIST_PARAMETERS as readonly string[]).includes(name)) {
      throw new OperationError(
        'invalidInput',
        `Unknown parameter ${name.slice(0, 60)}: the list takes ${LIST_PARAMETERS.join(', ')}, e.g. ?limit=100&state=active.`,
      );
    }
  }
  const one = (name: string, example: string): string | undefined => {
    const values = get(name);
    if (values.length > 1)
      throw new OperationError(
        'invalidInput',
        `${name} is given ${values.length} times; give it once, e.g. ${example}.`,
      );
    return values[0]?.trim();
  };
  const query: ListQuery = { limit: DEFAULT_LIMIT };
  const limit = one('limit', '?limit=100');
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
      throw new OperationError(
        'invalidInput',
        `limit must be a whole number from 1 to ${MAX_LIMIT}, e.g. ?limit=100 (got "${limit.slice(0, 40)}").`,
      );
    }
    query.limit = Number(limit);
  }
  const continuation = one('continuation', '?continuation=<the continuation of the previous answer>');
  if (continuation !== undefined) query.continuation = readContinuation(continuation);
  const partitionKey = one('partitionKey', '?partitionKey=default');
  if (partitionKey !== undefined) {
    try {
      query.partitionKey = readPartitionKey(partitionKey);
    } catch {
      throw new OperationError(
        'invalidInput',
        'partitionKey must be 1 to 255 characters, without / \\ # ? or control characters, e.g. ?partitionKey=default.',
      );
    }
  }
  const state = one('state', '?state=active');
  if (state !== undefined) {
    if (state !== 'active' && state !== 'expired')
      throw new OperationError(
        'invalidInput',
        `state must be active or expired, e.g. ?state=expired (got "${state.slice(0, 40)}").`,
      );
    query.state = state;
  }
  const hours = one('expiringWithinHours', '?expiringWithinHours=48');
  if (hours !== undefined) {
    const value = /^\d+(\.\d+)?$/.test(hours) ? Number(hours) : Number.NaN;
    if (!(value > 0 && value <= MAX_HOURS)) {
      throw new OperationError(
        'invalidInput',
        `expiringWithinHours must be a number of hours above 0 and at most ${MAX_HOURS}, e.g. ?expiringWithinHours=48 (got "${hours.slice(0, 40)}").`,
      );
    }
    query.expiringBefore = new Date(now.getTime() + value * 3_600_000);
  }
  const failing = one('failing', '?failing=true');
  if (failing !== undefined) {
    if (failing !== 'true' && failing !== 'false')
      throw new OperationError(
        'invalidInput',
        `failing must be true or false, e.g. ?failing=true (got "${failing.slice(0, 40)}").`,
      );
    query.failing = failing === 'true';
  }
  const tenant = one('tenant', '?tenant=<tenant id>');
  if (tenant !== undefined) {
    const id = tenant === 'home' ? null : readTenantId(tenant);
    if (id === undefined)
      throw new OperationError(
        'invalidInput',
        `tenant must be a tenant id (a GUID) or home, e.g. ?tenant=home (got "${tenant.slice(0, 40)}").`,
      );
    query.tenantId = id;
  }
  return query;
}

/** The table's token is base64 JSON naming the next partition and row: anything else was not given by a list. */
function readContinuation(token: string): string {
  let ok = token.length <= 4096 && /^[A-Za-z0-9+/=_-]+$/.test(token);
  if (ok) {
    try {
      const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { nextPartitionKey?: unknown };
      ok = typeof decoded === 'object' && decoded !== null && typeof decoded.nextPartitionKey === 'string';
    } catch {
      ok = false;
    }
  }
  if (!ok)
    throw new OperationError(
      'invalidInput',
      'continuation is not a token a list answer gave: pass the "continuation" of the previous answer as it was, e.g. ?continuation=eyJuZXh0UGFydGl0aW9uS2V5Ijoi...',
    );
  return token;
}
