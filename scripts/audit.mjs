// `npm audit --omit=dev` for CI: fails on any high or critical advisory in what is deployed.
// When the registry does not serve advisories (some mirrors and proxies answer 405), it says so
// loudly and, unless AUDIT_REQUIRED=1, does not fail the build: no advisory data is not a finding.
// Usage: node scripts/audit.mjs
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** What `npm audit --json` printed, as a verdict: { ok, checked, line }. */
export function auditVerdict(output) {
  let report;
  try {
    report = JSON.parse(output);
  } catch {
    return { ok: false, checked: false, line: `npm audit printed no JSON report: ${String(output).slice(0, 200)}` };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (counts && typeof counts === 'object') {
    const serious = (counts.high ?? 0) + (counts.critical ?? 0);
    const names = Object.entries(report.vulnerabilities ?? {})
      .filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
      .map(([name, v]) => `${name} (${v.severity})`);
    const summary = `critical ${counts.critical ?? 0}, high ${counts.high ?? 0}, moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0}`;
    return serious === 0
      ? { ok: true, checked: true, line: `npm audit --omit=dev: no high or critical advisory (${summary}).` }
      : {
          ok: false,
          checked: true,
          line: `npm audit --omit=dev: ${serious} high or critical: ${names.join(', ')} (${summary}). Update them (npm update / npm audit fix --omit=dev) and commit the lockfile.`,
        };
  }
  const reason =
    [report?.error?.summary, report?.message, report?.error?.detail].find(
      (text) => typeof text === 'string' && text !== '',
    ) ?? 'no advisory data in the answer';
  return {
    ok: false,
    checked: false,
    line: `npm audit --omit=dev: NOT CHECKED, the registry gave no advisories (${String(reason).split('\n')[0]}).`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const verdict = auditVerdict(result.stdout || result.stderr || '');
  console.log(verdict.line);
  if (verdict.checked) process.exit(verdict.ok ? 0 : 1);
  process.exit(process.env.AUDIT_REQUIRED === '1' ? 1 : 0);
}
