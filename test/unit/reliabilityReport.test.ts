import { describe, expect, it } from 'vitest';
import { figuresVerdict } from '../support/reliability/figures';
import {
  findLeaks,
  markedSection,
  reliabilitySection,
  type RunRecords,
  SECTION_BEGIN,
  SECTION_END,
  withSection,
} from '../support/reliability/report';

const records = (output: string[], secrets: { kind: string; value: string }[] = []): RunRecords => ({
  scenarios: [],
  inputs: [],
  secrets,
  output: output.map((text) => ({ source: 'log', text })),
});

describe("the suite's leak scan", () => {
  it('finds a watched secret anywhere in what the app said, and masks it in the report', () => {
    const state = 'q7Jx0c-client-state-NVq2Lk91';
    const [leak, ...rest] = findLeaks(
      records(['renewed', `created with clientState ${state}.`], [{ kind: 'clientState', value: state }]),
    );
    expect(rest).toEqual([]);
    expect(leak).toEqual({ kind: 'clientState', source: 'log', excerpt: 'created with clientState [28 characters].' });
  });

  it('finds what is shaped like an account key or a bearer token even when nobody watched it', () => {
    const leaks = findLeaks(
      records([
        'AccountName=x;AccountKey=Zm9vYmFyYmF6cXV4cXV1eGZvb2Jhcg==;',
        'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345',
        'token eyJhbGciOiJub25lIn0.eyJhdWQiOiJncmFwaCJ9.',
      ]),
    );
    expect(leaks.map((leak) => leak.kind)).toEqual(['accountKey', 'bearerToken', 'bearerToken']);
    expect(leaks.every((leak) => !leak.excerpt.includes('Zm9vYmFy') && !leak.excerpt.includes('abcdefghij'))).toBe(
      true,
    );
  });

  it('lets a redacted line through', () => {
    expect(
      findLeaks(
        records(
          ['AccountKey=*** and Bearer *** and clientState ***'],
          [{ kind: 'clientState', value: 'q7Jx0c-client-state' }],
        ),
      ),
    ).toEqual([]);
  });
});

describe('the documented figures (docs/reliability.md)', () => {
  const scenario = {
    file: 'f.test.ts',
    category: 'graph',
    name: 'n',
    checks: 6,
    rowsLost: 0,
    rowsDuplicated: 0,
    expirationsMovedBack: 0,
    expiredWhileRenewable: 0,
    graphDuplicates: 0,
    rowsAheadOfGraph: 0,
  };

  it('are the same whatever order the workers wrote their records in', () => {
    const a: RunRecords = {
      ...records([]),
      scenarios: [scenario, { ...scenario, category: 'races' }],
      inputs: [
        { file: 'f', name: 'b', inputs: 2, serverErrors: 0, stackTraces: 0, unclearErrors: 0 },
        { file: 'f', name: 'a', seed: 7, inputs: 3, serverErrors: 0, stackTraces: 0, unclearErrors: 0 },
      ],
    };
    const b: RunRecords = { ...a, scenarios: [...a.scenarios].reverse(), inputs: [...a.inputs].reverse() };
    expect(reliabilitySection(a, [])).toBe(reliabilitySection(b, []));
    expect(reliabilitySection(a, [])).toContain('| Hostile or invalid inputs tried | 5 |');
    expect(reliabilitySection(a, [])).toContain('| &nbsp;&nbsp;a (seed 7) | 3 |');
  });

  it('count every problem an invariant found and every leak', () => {
    const section = reliabilitySection(
      { ...records([]), scenarios: [{ ...scenario, rowsLost: 2, graphDuplicates: 1 }] },
      [{ kind: 'clientState', source: 'log', excerpt: '' }],
    );
    expect(section).toContain('| Rows lost / duplicated | 2 / 0 |');
    expect(section).toContain('| Duplicate subscriptions created on Graph | 1 |');
    expect(section).toContain('identity header) | 1 |');
  });

  it('replace what is between the markers and nothing else', () => {
    const document = `# x\n${SECTION_BEGIN}\nold\n${SECTION_END}\nafter\n`;
    const updated = withSection(document, 'new');
    expect(markedSection(updated)).toBe('new');
    expect(updated).toBe(`# x\n${SECTION_BEGIN}\nnew\n${SECTION_END}\nafter\n`);
  });
});

describe('the figures check (npm run check:figures)', () => {
  it('passes when the document holds what the last full run measured', () => {
    expect(figuresVerdict('| a | 1 |', '| a | 1 |\n')).toMatchObject({ ok: true });
  });

  it('fails when they differ, saying what to run', () => {
    const verdict = figuresVerdict('| a | 1 |', '| a | 2 |\n');
    expect(verdict.ok).toBe(false);
    expect(verdict.line).toContain('npm run check:figures -- --write');
    expect(verdict.line).toContain('npm run reliability');
  });

  it('fails when no full, passing run left its figures, or the document lost its markers', () => {
    expect(figuresVerdict('| a | 1 |', undefined)).toMatchObject({
      ok: false,
      line: expect.stringContaining('a full, passing `npm test`'),
    });
    expect(figuresVerdict(undefined, '| a | 1 |')).toMatchObject({
      ok: false,
      line: expect.stringContaining('markers'),
    });
  });
});
