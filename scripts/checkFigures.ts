// `npm run check:figures`: compares the reliability figures in docs/reliability.md with those the last
// full, passing `npm test` measured (test-output/reliability-figures.md, written by
// test/support/reliabilityReporter.ts), so CI checks them without running the suite a second time.
// With --write it puts the measured figures in the document instead.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { FIGURES_DOCUMENT, figuresVerdict, MEASURED_FIGURES } from '../test/support/reliability/figures';
import { markedSection, withSection } from '../test/support/reliability/report';

const document = readFileSync(FIGURES_DOCUMENT, 'utf8');
const measured = existsSync(MEASURED_FIGURES) ? readFileSync(MEASURED_FIGURES, 'utf8') : undefined;
const verdict = figuresVerdict(markedSection(document), measured);
if (process.argv.includes('--write') && measured !== undefined && markedSection(document) !== undefined) {
  if (!verdict.ok) writeFileSync(FIGURES_DOCUMENT, withSection(document, measured.trim()));
  process.stdout.write(
    `${FIGURES_DOCUMENT}: ${verdict.ok ? 'already' : 'now'} the figures the last full test run measured.\n`,
  );
} else {
  process.stdout.write(`${verdict.line}\n`);
  if (!verdict.ok) process.exitCode = 1;
}
