import type { TenantBenchFigures, TenantRunFigures } from './benchTenants';

const s = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);
const n = (value: number) => value.toLocaleString('en-US');
const pad = (cells: string[], widths: number[]) =>
  cells
    .map((cell, i) => cell.padEnd(widths[i]!))
    .join('  ')
    .trimEnd();
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const short = (id: string) => id.slice(0, 8);

/** The tenants section of what `npm run bench` prints, and its targets (issue 15). */
export function tenantsTable(r: TenantBenchFigures): string {
  const out: string[] = [];
  const healthy = r.allHealthy;
  const throttled = r.oneThrottled;
  out.push(
    `tenants (${r.measuredAt}): customer tenants of ${n(r.perTenant)} due each, tokens through the multi-tenant app (Entra emulator)`,
    `Graph's limits per tenant as above, and ${n(r.appWritesPerWindow)} writes per window across tenants (appLimits), scaled alike.`,
    `bound = max(per-tenant bound, all due / app-wide rate); time scaled down ${healthy.timeScale}x unless said.`,
    '',
  );
  const w = [34, 9, 8, 5, 9, 6, 15, 15, 16];
  out.push(pad(['run', 'wall', 'bound', 'ratio', 'renewed', 'failed', 'queued/deferred', '429s tenant+app', 'CPU'], w));
  const run = (label: string, f: TenantRunFigures) => {
    out.push(
      pad(
        [
          label,
          s(f.wallMs),
          s(f.boundMs),
          `${f.ratio.toFixed(2)}`,
          `${f.renewed}/${f.due}`,
          String(f.failed),
          `${f.queued}/${f.deferred}`,
          `${f.tenantThrottled} + ${f.appThrottled}`,
          `run ${s(f.runCpuMs)}, machine ${(f.machineBusy * 100).toFixed(0)}% busy`,
        ],
        w,
      ),
    );
    for (const t of f.tenants) {
      out.push(
        `  tenant ${short(t.tenantId)}${t.faulted ? ' (429 to everything)' : ''}: ${t.renewedOnGraph}/${t.due} renewed on its Graph, ` +
          `first ${s(t.firstRenewalMs)}, last ${s(t.lastRenewalMs)}, ${n(t.patches)} PATCHes, ${n(t.throttled)} answered 429${t.mailboxThrottled > 0 ? ` (${n(t.mailboxThrottled)} for a mailbox's concurrency)` : ''}`,
      );
    }
  };
  run(`${r.tenants} x ${n(r.perTenant)} due`, healthy);
  run('the same, one tenant throttled', throttled);
  const rows = throttled.throttledRows;
  out.push(
    `  throttled tenant (Retry-After ${throttled.retryAfterSeconds} s, run budget ${throttled.budgetMinutes} min): ` +
      `${rows.failed} rows failed (429 recorded), ${rows.renewed} renewed, ${rows.untouched} untouched (the run queued ${throttled.queued}, deferred ${throttled.deferred})`,
  );
  run(`control: 1 x ${n(r.perTenant)}, scaled ${r.oneTenant.timeScale}x`, r.oneTenant);
  run(`control: ${r.tenants} x ${n(r.perTenant)}, scaled ${r.lessScaled.timeScale}x`, r.lessScaled);
  out.push('');
  const others = throttled.tenants.filter((t) => !t.faulted);
  const othersRenewed = others.every((t) => t.renewedOnGraph === t.due);
  const healthyThrottles = healthy.tenantThrottled + healthy.appThrottled;
  out.push(
    'tenant targets:',
    `  ${r.tenants} x ${n(r.perTenant)} due within 1.15x of the bound (${healthy.ratio.toFixed(2)}x), zero failures (${healthy.notRenewed}); 429s: ${healthyThrottles}: ${verdict(healthy.ratio <= 1.15 && healthy.notRenewed === 0)}`,
    `  one tenant throttled: the other two's last renewal within 1.15x of the per-tenant bound (${s(throttled.othersLastRenewalMs)}, ${throttled.othersRatio.toFixed(2)}x), all of theirs renewed (${others.reduce((sum, t) => sum + t.renewedOnGraph, 0)}/${others.reduce((sum, t) => sum + t.due, 0)}): ${verdict(throttled.othersRatio <= 1.15 && othersRenewed)}`,
    `  (controls at the rest of the bench's ${r.lessScaled.timeScale}x, for information: one tenant alone ${r.oneTenant.ratio.toFixed(2)}x; the three ${r.lessScaled.ratio.toFixed(2)}x, where the machine's CPU sets the pace)`,
    '',
  );
  return out.join('\n');
}
