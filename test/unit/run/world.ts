import type { StoredSubscription } from '../../../src/renewal/subscription';
import { InMemoryLearntMaxima } from '../../support/fakes/inMemoryLearntMaxima';
import { InMemoryRenewalQueue } from '../../support/fakes/inMemoryRenewalQueue';
import { InMemoryRunHistory } from '../../support/fakes/inMemoryRunHistory';
import { InMemorySubscriptionStore } from '../../support/fakes/inMemorySubscriptionStore';
import { RecordingLog } from '../../support/fakes/recordingLog';
import { ScriptedGraph } from '../../support/fakes/scriptedGraph';
import { DOCUMENTED_RULES, GraphRules, type RenewalContext, type RenewalRunInput } from '../../support/fakes/underTest';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
/** The fixed time every test starts at: a Monday, 06:00 UTC. */
export const NOW = new Date('2026-03-02T06:00:00Z');
export const NOTIFICATION_URL = 'https://contoso.example/api/notifications';
export const LIFECYCLE_URL = 'https://renewal.example/api/webhooks/lifecycle';

/** The ports as fakes, around one fixed clock that a test moves on by hand. */
export class World {
  time = NOW.getTime();
  readonly now = () => new Date(this.time);
  readonly store = new InMemorySubscriptionStore(this.now);
  /** The home tenant's Graph; `tenantGraph(id)` is a customer tenant's, each scripted on its own. */
  readonly graph = new ScriptedGraph(this.now);
  private readonly tenantGraphs = new Map<string, ScriptedGraph>();
  readonly log = new RecordingLog();
  readonly runs = new InMemoryRunHistory();
  readonly learntMaxima = new InMemoryLearntMaxima();
  readonly queue = new InMemoryRenewalQueue();
  readonly rules = new GraphRules(DOCUMENTED_RULES);

  /** A customer tenant's Graph, made on first use. */
  tenantGraph(tenantId: string): ScriptedGraph {
    let graph = this.tenantGraphs.get(tenantId);
    if (!graph) {
      graph = new ScriptedGraph(this.now);
      this.tenantGraphs.set(tenantId, graph);
    }
    return graph;
  }

  /** What renewing one subscription needs: the defaults of the settings (72 h wanted, 36 h margin, daily at 06:00). */
  context(): RenewalContext {
    return {
      store: this.store,
      graphs: { forTenant: (tenantId) => (tenantId === undefined ? this.graph : this.tenantGraph(tenantId)) },
      homeTenant: 'home',
      log: this.log,
      policy: { marginHours: 36, lifetimeHours: 72 },
      rules: this.rules,
      learntMaxima: this.learntMaxima,
      schedules: {
        daily: { nextRunAt: new Date(this.time + 24 * HOUR), marginHours: 36 },
        short: { nextRunAt: new Date(this.time + 10 * MINUTE), enabled: true },
      },
      now: this.now,
      clientState: 'unit-client-state',
      leaseMs: 20 * MINUTE,
    };
  }

  /** What the daily timer's run needs. */
  runInput(overrides: Partial<RenewalRunInput> = {}): RenewalRunInput {
    const context = this.context();
    return {
      ...context,
      runs: this.runs,
      concurrency: 4,
      trigger: 'timer',
      isPastDue: false,
      nextRunAt: context.schedules.daily.nextRunAt,
      scope: 'daily',
      deadline: new Date(this.time + 30 * MINUTE),
      handOff: this.queue,
      ...overrides,
    };
  }

  /**
   * An Outlook subscription on Graph and its row, expiring `hours` from now; `onGraph: false` for one
   * Graph no longer has.
   */
  outlook(
    id: string,
    hours: number,
    options: { onGraph?: boolean; row?: Partial<StoredSubscription>; tenant?: string } = {},
  ): StoredSubscription {
    const resource = `users/${id}-owner/mailFolders('Inbox')/messages`;
    const expirationDateTime = new Date(this.time + hours * HOUR);
    const definition = {
      resource,
      changeType: 'created',
      notificationUrl: NOTIFICATION_URL,
      lifecycleNotificationUrl: LIFECYCLE_URL,
    };
    // A customer tenant's subscription lives on that tenant's Graph, and its row names the tenant.
    const graph = options.tenant === undefined ? this.graph : this.tenantGraph(options.tenant);
    if (options.onGraph !== false) graph.add({ id, expirationDateTime, ...definition });
    return this.store.put({
      id,
      expirationDateTime,
      ...definition,
      ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
      ...options.row,
    });
  }

  /** Graph's expiration of `id` now. */
  onGraph(id: string): Date | undefined {
    return this.graph.subscriptions.get(id)?.expirationDateTime;
  }
}

export const hoursFromNow = (hours: number) => new Date(NOW.getTime() + hours * HOUR);
