import { Cron } from 'croner';

/** Name of the timer function; the portal's disable switch and the status refer to it. */
export const RENEWAL_FUNCTION_NAME = 'renewSubscriptions';

/**
 * NCRONTAB (second minute hour day month day-of-week): 09:00 every day in the app's time zone,
 * the seed's daily check. The timer registration and the status both read this one constant.
 */
export const RENEWAL_SCHEDULE = '0 0 9 * * *';

/** The census timer: reads every row and stores the summary the status reads (src/renewal/status/runCensus.ts). */
export const CENSUS_FUNCTION_NAME = 'subscriptionCensus';

/**
 * Every 15 minutes: how far behind the status's counts and timeline may be (docs/operations.md, "Status endpoint").
 * A summary older than twice this is itself a problem: the census timer is not running.
 */
export const CENSUS_SCHEDULE = '0 */15 * * * *';

/** The first occurrence of `cron` strictly after `after`, in IANA zone `timeZone`. */
export function nextRunAfter(after: Date, cron: string, timeZone: string): Date {
  const next = new Cron(cron, { timezone: timeZone, paused: true }).nextRun(after);
  if (!next) throw new Error(`The schedule "${cron}" has no occurrence after ${after.toISOString()}.`);
  return next;
}

/** The UTC offset of `timeZone` at `at`, as "+01:00". */
export function utcOffsetAt(at: Date, timeZone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  // Intl writes "GMT" alone for a zero offset.
  const offset = name?.replace('GMT', '') ?? '';
  return offset === '' ? '+00:00' : offset;
}

/** `at` as ISO 8601 local time in `timeZone` with its offset, e.g. 2026-11-29T09:00:00+01:00. */
export function toZonedIso(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(at)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${utcOffsetAt(at, timeZone)}`;
}

/** "UTC+1", "UTC+5:30", "UTC" : the seed's way of naming the offset. */
export function describeOffset(offset: string): string {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (!match || (match[2] === '00' && match[3] === '00')) return 'UTC';
  const hours = String(Number(match[2]));
  return `UTC${match[1]}${hours}${match[3] === '00' ? '' : `:${match[3]}`}`;
}

/** Time between two consecutive runs of `cron` after `after` (a day for the daily check; 23 or 25 h across a clock change). */
export function runIntervalMs(cron: string, timeZone: string, after: Date): number {
  const next = nextRunAfter(after, cron, timeZone);
  return nextRunAfter(next, cron, timeZone).getTime() - next.getTime();
}

// A timer can fire a moment early by the host's clock; looking past it keeps "next run" tomorrow's.
const EARLY_FIRE_TOLERANCE_MS = 60_000;

/** The next scheduled run as seen from `now`, and the interval that follows it: what a renewal needs to know. */
export function scheduleFrom(now: Date, cron: string, timeZone: string): { nextRunAt: Date; intervalMs: number } {
  const lookFrom = new Date(now.getTime() + EARLY_FIRE_TOLERANCE_MS);
  return { nextRunAt: nextRunAfter(lookFrom, cron, timeZone), intervalMs: runIntervalMs(cron, timeZone, lookFrom) };
}
