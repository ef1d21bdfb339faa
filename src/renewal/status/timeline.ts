import type { ExpirationHistogram } from './summary';

const MINUTE_MS = 60_000;
export const TIMELINE_HOURS = 72;
export const TIMELINE_BUCKET_MINUTES = 60;

/** Upcoming expirations, bucketed, as the status and its page show them. */
export interface Timeline {
  from: string;
  hours: number;
  bucket_minutes: number;
  /** Subscriptions expiring before this are renewed by the next run (next run + RENEWAL_MARGIN_HOURS). */
  due_horizon: string;
  next_run: string;
  buckets: { start: string; count: number }[];
  /** Expiring after the last bucket. */
  later: number;
  /** Expired already, by the census's reckoning (before `from`). */
  before: number;
}

/**
 * The next TIMELINE_HOURS from `now`, from the census's finer histogram: a gap (nothing renewed into
 * some hours) or a cliff (everything expiring at once) shows at a glance. As of the census, so a
 * subscription renewed since still shows at its old expiration until the next one.
 */
export function timelineFrom(
  histogram: ExpirationHistogram,
  now: Date,
  nextRunAt: Date,
  marginHours: number,
): Timeline {
  const fineMs = histogram.bucketMinutes * MINUTE_MS;
  const perBar = Math.max(1, Math.round(TIMELINE_BUCKET_MINUTES / histogram.bucketMinutes));
  const fromIndex = Math.max(0, Math.floor((now.getTime() - histogram.from.getTime()) / fineMs));
  const from = new Date(histogram.from.getTime() + fromIndex * fineMs);
  const bars = (TIMELINE_HOURS * 60) / TIMELINE_BUCKET_MINUTES;
  let before = histogram.before;
  for (let i = 0; i < Math.min(fromIndex, histogram.counts.length); i++) before += histogram.counts[i]!;
  const buckets: Timeline['buckets'] = [];
  let later = histogram.later;
  for (let bar = 0; bar < bars; bar++) {
    let count = 0;
    for (let j = 0; j < perBar; j++) count += histogram.counts[fromIndex + bar * perBar + j] ?? 0;
    buckets.push({ start: new Date(from.getTime() + bar * perBar * fineMs).toISOString(), count });
  }
  for (let i = fromIndex + bars * perBar; i < histogram.counts.length; i++) later += histogram.counts[i]!;
  return {
    from: from.toISOString(),
    hours: TIMELINE_HOURS,
    bucket_minutes: TIMELINE_BUCKET_MINUTES,
    due_horizon: new Date(nextRunAt.getTime() + marginHours * 3_600_000).toISOString(),
    next_run: nextRunAt.toISOString(),
    buckets,
    later,
    before,
  };
}
