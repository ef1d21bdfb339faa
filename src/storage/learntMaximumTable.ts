import { odata, type TableClient } from '@azure/data-tables';
import type { LearntMaximum } from '../renewal/policy/graphRules';
import type { LearntMaxima } from '../renewal/ports';
import { readDate } from './subscriptionRow';

/** A partition of the run-history table: one row per kind Graph taught a lower maximum for. */
export const LEARNT_PARTITION = 'learntmaximum';

interface LearntEntity {
  partitionKey: string;
  rowKey: string;
  key?: unknown;
  maxMinutes?: unknown;
  configuredMinutes?: unknown;
  learntAt?: unknown;
  subscriptionId?: unknown;
}

/**
 * The maxima Graph stated in its refusals ("can only be N minutes in the future"), so every run and
 * instance asks within them from then on (README, "Graph's rules"). The kind is the RowKey, encoded:
 * a pattern from GRAPH_MAX_LIFETIMES may hold "/", which a key may not.
 */
export class LearntMaximumTable implements LearntMaxima {
  constructor(private readonly table: TableClient) {}

  async load(): Promise<LearntMaximum[]> {
    const maxima: LearntMaximum[] = [];
    for await (const entity of this.table.listEntities<LearntEntity>({
      queryOptions: { filter: odata`PartitionKey eq ${LEARNT_PARTITION}` },
    })) {
      const maximum = toLearnt(entity);
      // A row typed or damaged by hand teaches nothing: asking within the documented maximum is the safe side.
      if (maximum) maxima.push(maximum);
    }
    return maxima;
  }

  async save(maximum: LearntMaximum): Promise<void> {
    await this.table.upsertEntity<LearntEntity>(
      {
        partitionKey: LEARNT_PARTITION,
        rowKey: encodeURIComponent(maximum.key),
        key: maximum.key,
        maxMinutes: maximum.maxMinutes,
        configuredMinutes: maximum.configuredMinutes,
        learntAt: maximum.learntAt,
        subscriptionId: maximum.subscriptionId,
      },
      'Replace',
    );
  }
}

function toLearnt(entity: LearntEntity): LearntMaximum | undefined {
  const learntAt = readDate(entity.learntAt);
  const { key, maxMinutes, configuredMinutes, subscriptionId } = entity;
  if (typeof key !== 'string' || typeof maxMinutes !== 'number' || typeof configuredMinutes !== 'number' || !learntAt)
    return undefined;
  return {
    key,
    maxMinutes,
    configuredMinutes,
    learntAt,
    subscriptionId: typeof subscriptionId === 'string' ? subscriptionId : '',
  };
}
