/** Where the documented figures live, and where a full, passing test run leaves the figures it measured. */
export const FIGURES_DOCUMENT = 'docs/reliability.md';
export const MEASURED_FIGURES = 'test-output/reliability-figures.md';

/**
 * Whether the documented figures are the ones the last full run measured (`npm run check:figures`),
 * with the line that says so, or says what to run.
 */
export function figuresVerdict(
  documented: string | undefined,
  measured: string | undefined,
): { ok: boolean; line: string } {
  if (documented === undefined) {
    return {
      ok: false,
      line: `${FIGURES_DOCUMENT}: no reliability:begin/end markers. Put them back around the figures table, then run \`npm run reliability\`.`,
    };
  }
  if (measured === undefined) {
    return {
      ok: false,
      line: `${MEASURED_FIGURES} is missing: a full, passing \`npm test\` (every test file) writes it. Run one, then \`npm run check:figures\` again.`,
    };
  }
  if (measured.trim() !== documented) {
    return {
      ok: false,
      line:
        `${FIGURES_DOCUMENT}: the reliability figures differ from those the last full test run measured (${MEASURED_FIGURES}). ` +
        `Run \`npm run check:figures -- --write\` (or \`npm run reliability\`, which runs the suite first) and commit ${FIGURES_DOCUMENT}.`,
    };
  }
  return { ok: true, line: `${FIGURES_DOCUMENT}: the reliability figures are those the last full test run measured.` };
}
