import type { ReadPathFigures } from './benchReadPaths';

const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`);
const n = (value: number) => value.toLocaleString('en-US');
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const pad = (cells: string[], widths: number[]) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

/** The read-path section of what `npm run bench` prints, and its targets (issue: status at any size). */
export function readPathsTable(sizes: ReadPathFigures[]): string {
  const [small, large] = [sizes[0]!, sizes.at(-1)!];
  const w = [44, 22, 22];
  const out: string[] = [];
  out.push(`read paths (Azurite in memory, 100 partitions; table requests counted by a proxy)`);
  out.push(pad(['call', `${n(small.rows)} rows`, `${n(large.rows)} rows`], w));
  const both = (f: (r: ReadPathFigures) => string) => [f(small), f(large)];
  out.push(
    pad(
      [
        'census (every 15 min, not on any read path)',
        ...both((r) => `${ms(r.census.ms)}, ${n(r.census.requests)} req`),
      ],
      w,
    ),
  );
  out.push(
    pad(['GET /api/webhooks/scheduler/status', ...both((r) => `${ms(r.status.ms)}, ${r.status.requests} req`)], w),
  );
  out.push(pad(['GET /api/webhooks/health', ...both((r) => `${ms(r.health.ms)}, ${r.health.requests} req`)], w));
  out.push(pad(['list, one page of 100', ...both((r) => `${ms(r.listPage.ms)}, ${mb(r.listPage.maxRssKb)}`)], w));
  out.push(pad(['adopt, nothing new', ...both((r) => `${ms(r.adopt.ms)}, ${r.adopt.requests} req`)], w));
  out.push(
    pad(
      [
        `${small.lifecycle.notifications} lifecycle notifications at once`,
        ...both((r) => `slowest ${ms(r.lifecycle.slowestMs)}, ${r.lifecycle.accepted} x 202`),
      ],
      w,
    ),
  );
  out.push(pad([`daily run, ${small.run.due} due`, ...both((r) => `${ms(r.run.ms)}, ${r.run.requests} req`)], w));
  out.push(pad(['Azurite alone: a page of 100', ...both((r) => ms(r.azurite.pageMs))], w));
  out.push(pad(["Azurite alone: the run's due query", ...both((r) => ms(r.azurite.dueQueryMs))], w));
  out.push(pad(['Azurite alone: a point read', ...both((r) => ms(r.azurite.pointReadMs))], w));
  out.push('');
  const ratio = (a: number, b: number) => (a === 0 ? (b === 0 ? 1 : Infinity) : b / a);
  const runTime = ratio(small.run.ms, large.run.ms);
  const runRequests = ratio(small.run.requests, large.run.requests);
  const statusTime = ratio(small.status.ms, large.status.ms);
  const healthTime = ratio(small.health.ms, large.health.ms);
  const maxRequests = Math.max(large.status.requests, large.health.requests);
  const listTime = ratio(small.listPage.ms, large.listPage.ms);
  const listRss = ratio(small.listPage.maxRssKb, large.listPage.maxRssKb);
  const adoptTime = ratio(small.adopt.ms, large.adopt.ms);
  const l = large.lifecycle;
  out.push(
    'read-path targets:',
    `  daily run, 10 due among ${n(large.rows)} vs ${n(small.rows)}: at most 1.5x the time (${runTime.toFixed(2)}x) and the table requests (${runRequests.toFixed(2)}x): ${verdict(runTime <= 1.5 && runRequests <= 1.5)}` +
      ` (Azurite alone, its due query: ${ratio(small.azurite.dueQueryMs, large.azurite.dueQueryMs).toFixed(1)}x)`,
    `  status and health at ${n(large.rows)}: at most 1.5x the time (${statusTime.toFixed(2)}x, ${healthTime.toFixed(2)}x) and at most 10 table requests a call (${maxRequests}): ${verdict(statusTime <= 1.5 && healthTime <= 1.5 && maxRequests <= 10)}`,
    `  a page of the list at ${n(large.rows)}: at most 1.5x the time (${listTime.toFixed(2)}x) and 1.25x the peak RSS (${listRss.toFixed(2)}x): ${verdict(listTime <= 1.5 && listRss <= 1.25)}` +
      ` (Azurite alone, one page: ${ratio(small.azurite.pageMs, large.azurite.pageMs).toFixed(1)}x)`,
    `  ${l.notifications} lifecycle notifications at once at ${n(large.rows)}: every 202 recorded first (${l.recordedBeforeAnswer} of ${l.accepted}, ${l.refused} answered 503), slowest under 2 s (${ms(l.slowestMs)}): ${verdict(l.recordedBeforeAnswer === l.accepted && l.refused === 0 && l.slowestMs < 2000)}`,
    `  adopt with nothing new at ${n(large.rows)}: the same table requests (${large.adopt.requests} vs ${small.adopt.requests}), at most 1.5x the time (${adoptTime.toFixed(2)}x): ${verdict(large.adopt.requests === small.adopt.requests && adoptTime <= 1.5)}`,
    '',
  );
  return out.join('\n');
}
