import { cadenceFor, keepAliveProblem, type Schedules } from '../policy/cadence';
import { dueHorizon } from '../policy/due';
import type { GraphRules } from '../policy/graphRules';
import type { StoredRow, StoredSubscription } from '../subscription';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** Fine enough for a 72-hour timeline of hourly bars, for a week, plus "later". */
export const BUCKET_MINUTES = 15;
export const HISTOGRAM_HOURS = 7 * 24;
/** The soonest expirations kept: the status checks those that have passed, one point read each. */
export const SOONEST_KEPT = 100;

/** The counts the status has always reported. */
export interface CensusCounts {
  total: number;
  active: number;
  due_before_next_run: number;
  expired: number;
  failing: number;
  /** Malformed rows: `invalid` is the name the summary row and the status JSON have always used. */
  invalid: number;
  cannot_be_kept_alive: number;
  /** Renewed by the 10-minute timer (a census stored before it existed lacks it). */
  short_lived?: number;
  recreated_last_24h: number;
  missed_notifications_last_24h: number;
}

const COUNT_NAMES: (keyof CensusCounts)[] = [
  'total',
  'active',
  'due_before_next_run',
  'expired',
  'failing',
  'invalid',
  'cannot_be_kept_alive',
  'short_lived',
  'recreated_last_24h',
  'missed_notifications_last_24h',
];

export interface SoonestExpiration {
  partitionKey: string;
  id: string;
  resource: string;
  expirationDateTime: Date;
}

/** How many active subscriptions expire in each bucket from `from` on. */
export interface ExpirationHistogram {
  from: Date;
  bucketMinutes: number;
  counts: number[];
  /** Already past at `from`. */
  before: number;
  /** After the last bucket. */
  later: number;
}

/** One tenant's share of the census: its counts and its soonest expiry (the status shows them per tenant). */
export interface TenantCensus {
  /** The customer tenant's id; null: the home tenant (rows without a tenant). */
  tenantId: string | null;
  total: number;
  active: number;
  due_before_next_run: number;
  expired: number;
  failing: number;
  cannot_be_kept_alive: number;
  /** The soonest expiry of its active subscriptions still to come. */
  soonestExpiration?: Date;
}

/** What the census learned and did, stored as one row the status reads (src/storage/summaryRow.ts). */
export interface CensusSummary {
  startedAt: Date;
  finishedAt: Date;
  counts: CensusCounts;
  /** Active subscriptions, soonest expiration first. */
  soonest: SoonestExpiration[];
  histogram: ExpirationHistogram;
  /** What the census changed: dates typed as text made DateTime, index entries written, problems recorded and cleared. */
  work: { converted: number; indexed: number; flagged: number; cleared: number; queued: number };
  /** Per tenant, the home tenant first (a census stored before tenants existed lacks it). */
  tenants?: TenantCensus[];
}

/** What the census judges each row by: the rules in force and when each timer runs next. */
export interface CensusSettings {
  schedules: Schedules;
  rules: GraphRules;
  marginHours: number;
  lifetimeHours: number;
}

/** Counts the rows one page at a time, in flat memory (a bounded list of the soonest). */
export class CensusTally {
  readonly counts = Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as unknown as CensusCounts;
  private soonest: SoonestExpiration[] = [];
  private readonly histogram: ExpirationHistogram;
  /** Keyed by tenant id, '' for the home tenant: a handful of entries however many rows. */
  private readonly tenants = new Map<string, TenantCensus>();

  constructor(
    private readonly now: Date,
    private readonly settings: CensusSettings,
  ) {
    const bucketMs = BUCKET_MINUTES * MINUTE_MS;
    const from = new Date(Math.floor(now.getTime() / bucketMs) * bucketMs);
    this.histogram = {
      from,
      bucketMinutes: BUCKET_MINUTES,
      counts: new Array<number>((HISTOGRAM_HOURS * 60) / BUCKET_MINUTES).fill(0),
      before: 0,
      later: 0,
    };
  }

  add(row: StoredRow): void {
    this.counts.total++;
    if (!row.ok) {
      this.counts.invalid++;
      return;
    }
    const s = row.subscription;
    const now = this.now.getTime();
    const tenant = this.tenantOf(s);
    tenant.total++;
    const lastDay = now - 24 * HOUR_MS;
    if (s.recreatedAt && s.recreatedAt.getTime() > lastDay) this.counts.recreated_last_24h++;
    if (s.lastMissedAt && s.lastMissedAt.getTime() > lastDay) this.counts.missed_notifications_last_24h++;
    const expiresAt = s.expirationDateTime.getTime();
    if (s.state === 'expired' || expiresAt <= now) {
      this.counts.expired++;
      tenant.expired++;
      if (s.state === 'active') this.keepSoonest(s);
      return;
    }
    this.counts.active++;
    tenant.active++;
    if (!tenant.soonestExpiration || expiresAt < tenant.soonestExpiration.getTime())
      tenant.soonestExpiration = s.expirationDateTime;
    this.keepSoonest(s);
    this.count(expiresAt);
    const { rules, schedules } = this.settings;
    // Due against its own timer's next run: the daily check's, or the 10-minute timer's.
    if (expiresAt < dueHorizon(s, rules, schedules).getTime()) {
      this.counts.due_before_next_run++;
      tenant.due_before_next_run++;
    }
    if (cadenceFor(s, rules) !== 'daily') this.counts.short_lived!++;
    if (s.consecutiveFailures > 0) {
      this.counts.failing++;
      tenant.failing++;
    }
    if (keepAliveProblem(s, rules, schedules.short.enabled)) {
      this.counts.cannot_be_kept_alive++;
      tenant.cannot_be_kept_alive++;
    }
  }

  private tenantOf(s: StoredSubscription): TenantCensus {
    const key = s.tenantId ?? '';
    let tenant = this.tenants.get(key);
    if (!tenant) {
      tenant = {
        tenantId: s.tenantId ?? null,
        total: 0,
        active: 0,
        due_before_next_run: 0,
        expired: 0,
        failing: 0,
        cannot_be_kept_alive: 0,
      };
      this.tenants.set(key, tenant);
    }
    return tenant;
  }

  result(): Pick<CensusSummary, 'counts' | 'soonest' | 'histogram' | 'tenants'> {
    const tenants = [...this.tenants.values()].sort((a, b) =>
      a.tenantId === null ? -1 : b.tenantId === null ? 1 : a.tenantId.localeCompare(b.tenantId),
    );
    return { counts: { ...this.counts }, soonest: this.sortedSoonest(), histogram: this.histogram, tenants };
  }

  private count(expiresAt: number): void {
    const h = this.histogram;
    const index = Math.floor((expiresAt - h.from.getTime()) / (h.bucketMinutes * MINUTE_MS));
    if (index < 0) h.before++;
    else if (index >= h.counts.length) h.later++;
    else h.counts[index]!++;
  }

  private keepSoonest(s: StoredSubscription): void {
    this.soonest.push({
      partitionKey: s.partitionKey,
      id: s.id,
      resource: s.resource,
      expirationDateTime: s.expirationDateTime,
    });
    // Sorted and cut now and then, not at each row: memory stays bounded, the work near linear.
    if (this.soonest.length >= 4 * SOONEST_KEPT) this.soonest = this.sortedSoonest();
  }

  private sortedSoonest(): SoonestExpiration[] {
    return [...this.soonest]
      .sort((a, b) => a.expirationDateTime.getTime() - b.expirationDateTime.getTime())
      .slice(0, SOONEST_KEPT);
  }
}
