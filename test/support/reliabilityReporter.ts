import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

type UserConsoleLog = Parameters<NonNullable<Reporter['onUserConsoleLog']>>[0];
import { MEASURED_FIGURES } from './reliability/figures';
import { recordDirectory } from './reliability/record';
import { findLeaks, readRecords, reliabilitySection } from './reliability/report';

/**
 * Ends the run with the leak scan over everything the app said during the whole run (test/support/
 * reliability): a leak fails the run. After a full run (every test file) it also prints the
 * reliability figures (scenarios run, fuzz inputs, invariant problems), and when every file passed
 * leaves them in test-output/reliability-figures.md, which `npm run check:figures` compares with
 * docs/reliability.md. A partial run's figures are partial: neither printed nor kept.
 */
export default class ReliabilityReporter implements Reporter {
  private readonly console: string[] = [];

  onInit(): void {
    // The file always belongs to the latest run: a failed or partial run leaves none.
    rmSync(MEASURED_FIGURES, { force: true });
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    this.console.push(log.content);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const records = readRecords(recordDirectory());
    records.output.push(...this.console.map((text) => ({ source: 'console', text })));
    const leaks = findLeaks(records);
    const out = (line: string) => process.stdout.write(`${line}\n`);

    const ran = new Set(testModules.map((module) => relative(process.cwd(), module.moduleId)));
    const full = testFiles('test').every((file) => ran.has(file));
    const section = reliabilitySection(records, leaks);
    if (full) {
      out('\nreliability (test/support/reliability; documented in docs/reliability.md):');
      out(section);
    }
    out(
      `${full ? '' : '\n'}leak scan: ${records.secrets.length} secrets watched, over ${records.output.length} captured outputs ` +
        `(log lines, response bodies, CLI output, console): ${leaks.length} leaks`,
    );
    for (const leak of leaks) out(`  LEAK: a ${leak.kind} in ${leak.source}: ${leak.excerpt}`);
    if (leaks.length > 0) process.exitCode = 1;

    if (full && leaks.length === 0 && testModules.every((module) => module.state() === 'passed')) {
      mkdirSync(dirname(MEASURED_FIGURES), { recursive: true });
      writeFileSync(MEASURED_FIGURES, `${section}\n`);
      out(
        `figures of this full run: ${MEASURED_FIGURES} (npm run check:figures compares them with docs/reliability.md)`,
      );
    }
  }
}

function testFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}
