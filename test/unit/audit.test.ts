import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { auditVerdict } from '../../scripts/audit.mjs';

const report = (counts: Record<string, number>, vulnerabilities: Record<string, { severity: string }> = {}) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts } },
  });

describe('the CI audit (scripts/audit.mjs)', () => {
  it('passes with no high or critical advisory, moderate ones listed in the counts', () => {
    expect(auditVerdict(report({ moderate: 2 }))).toEqual({
      ok: true,
      checked: true,
      line: 'npm audit --omit=dev: no high or critical advisory (critical 0, high 0, moderate 2, low 0).',
    });
  });

  it('fails on a high or critical advisory and names the packages', () => {
    const verdict = auditVerdict(
      report(
        { high: 1, critical: 1 },
        { undici: { severity: 'high' }, 'fast-xml-parser': { severity: 'critical' }, debug: { severity: 'low' } },
      ),
    );
    expect(verdict).toMatchObject({ ok: false, checked: true });
    expect(verdict.line).toMatch(
      /^npm audit --omit=dev: 2 high or critical: undici \(high\), fast-xml-parser \(critical\) /,
    );
  });

  it('says NOT CHECKED when the registry serves no advisories', () => {
    const answer = JSON.stringify({
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '', detail: '' },
    });
    expect(auditVerdict(answer)).toEqual({
      ok: false,
      checked: false,
      line: 'npm audit --omit=dev: NOT CHECKED, the registry gave no advisories (405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk).',
    });
  });

  it('is not fooled by output that is not a report', () => {
    expect(auditVerdict('npm error network')).toMatchObject({ ok: false, checked: false });
  });
});
