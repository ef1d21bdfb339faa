import type { BenchResults } from './bench';
import { readPathsTable } from './benchReadPathsTable';
import { tenantsTable } from './benchTenantsTable';

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const n = (value: number) => value.toLocaleString('en-US');
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const pad = (cells: string[], widths: number[]) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();

/** The bench's figures as the table `npm run bench` prints (and docs/performance.md shows). */
export function table(r: BenchResults): string {
  const out: string[] = [];
  const g = r.graph;
  out.push(
    `Renewal bench, ${r.measuredAt} (${r.machine})`,
    `Graph emulator: ${g.latencyMs} ms a call, ${n(g.writesPerWindow)} writes per ${g.windowMs / 1000} s, ${g.mailboxConcurrency} concurrent per mailbox; ` +
      `time scaled down ${r.timeScale}x (${g.latencyMs / r.timeScale} ms a call, ${n(g.writesPerWindow)} writes per ${g.windowMs / 1000 / r.timeScale} s).`,
    `Lower bound = max(N x latency / allowed concurrency, N / allowed write rate); ${g.subscriptionsPerMailbox} subscriptions per mailbox.`,
    '',
  );
  const w1 = [30, 9, 11, 6, 14, 8];
  out.push(pad(['throughput', 'wall', 'lower bound', 'ratio', '429s', 'failures'], w1));
  for (const t of r.throughput) {
    const share = t.requests === 0 ? 0 : (t.throttled / t.requests) * 100;
    out.push(
      pad(
        [
          `${n(t.n)} due`,
          s(t.wallMs),
          s(t.lowerBoundMs),
          t.ratio.toFixed(2),
          `${t.throttled} (${share.toFixed(2)}%)`,
          String(t.failed),
        ],
        w1,
      ),
    );
  }
  const seed = r.seedWay;
  out.push(
    pad(
      [`${n(seed.n)} due, one at a time (seed)`, s(seed.wallMs), '', '', `${seed.throttled}`, String(seed.failed)],
      w1,
    ),
  );
  out.push(`speed-up over one at a time on the same ${n(seed.n)}: ${seed.speedUp.toFixed(1)}x`, '');

  const w2 = [30, 9, 9, 9];
  out.push(pad(['store (same number due)', 'due', 'run time', 'peak RSS'], w2));
  for (const row of r.store) out.push(pad([`${n(row.stored)} rows`, n(row.due), s(row.wallMs), mb(row.maxRssKb)], w2));
  const [small, large] = r.store;
  const timeRatio = large!.wallMs / small!.wallMs;
  const rssRatio = large!.maxRssKb / small!.maxRssKb;
  out.push(
    `${n(large!.stored)} vs ${n(small!.stored)} rows: ${timeRatio.toFixed(2)}x the run time, ${rssRatio.toFixed(2)}x the peak RSS`,
    '',
  );

  out.push(`cold start, whole process, median of ${r.coldStart.runs}: node -e 0 ${r.coldStart.nodeMs.toFixed(0)} ms`);
  for (const e of r.coldStart.entries)
    out.push(`  ${e.entry}: ${e.ms.toFixed(0)} ms = ${e.ratio.toFixed(2)}x node -e 0`);
  out.push('');

  const worst = Math.max(...r.throughput.map((t) => t.ratio));
  const throttledShare = Math.max(...r.throughput.map((t) => (t.requests === 0 ? 0 : t.throttled / t.requests)));
  const failures = r.throughput.reduce((sum, t) => sum + t.failed, 0);
  const cold = Math.max(...r.coldStart.entries.filter((e) => e.deployableEntry).map((e) => e.ratio));
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  out.push(
    'targets:',
    `  throughput within 1.15x of the lower bound (worst ${worst.toFixed(2)}x), zero failures (${failures}), 429s under 1% (worst ${(throttledShare * 100).toFixed(2)}%): ${verdict(worst <= 1.15 && failures === 0 && throttledShare < 0.01)}`,
    `  100,000 rows at most 1.5x the run time (${timeRatio.toFixed(2)}x) and 1.25x the peak RSS (${rssRatio.toFixed(2)}x) of 1,000: ${verdict(timeRatio <= 1.5 && rssRatio <= 1.25)}`,
    `  cold import of the deployable entry at most 2x node -e 0 (${cold.toFixed(2)}x): ${verdict(cold <= 2)}`,
    '',
  );
  if (r.readPaths?.length) out.push(readPathsTable(r.readPaths));
  if (r.tenants) out.push('', tenantsTable(r.tenants));
  return out.join('\n');
}
