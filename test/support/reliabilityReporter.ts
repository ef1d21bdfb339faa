import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

type UserConsoleLog = Parameters<NonNullable<Reporter['onUserConsoleLog']>>[0];
import { recordDirectory } from './reliability/record';
import { findLeaks, readmeSection, readRecords, reliabilitySection, withSection } from './reliability/report';

/**
 * Ends the run with the reliability figures (test/support/reliability): scenarios run, fuzz inputs,
 * invariant problems, and the leak scan over everything the app said during the whole run. A leak
 * fails the run. After a full run the figures must match the README's RELIABILITY section;
 * `npm run reliability` (RELIABILITY_README=write) rewrites it from this run's figures instead.
 */
export default class ReliabilityReporter implements Reporter {
  private readonly console: string[] = [];

  onUserConsoleLog(log: UserConsoleLog): void {
    this.console.push(log.content);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const records = readRecords(recordDirectory());
    records.output.push(...this.console.map((text) => ({ source: 'console', text })));
    const leaks = findLeaks(records);
    const section = reliabilitySection(records, leaks);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out('\nreliability (test/support/reliability):');
    out(section);
    out(
      `leak scan: ${records.secrets.length} secrets watched, over ${records.output.length} captured outputs ` +
        `(log lines, response bodies, CLI output, console): ${leaks.length} leaks`,
    );
    for (const leak of leaks) out(`  LEAK: a ${leak.kind} in ${leak.source}: ${leak.excerpt}`);
    if (leaks.length > 0) process.exitCode = 1;

    const ran = new Set(testModules.map((module) => relative(process.cwd(), module.moduleId)));
    const all = testFiles('test');
    if (!all.every((file) => ran.has(file)) || testModules.some((module) => module.state() !== 'passed')) return;
    const readme = readFileSync('README.md', 'utf8');
    const current = readmeSection(readme);
    if (process.env.RELIABILITY_README === 'write') {
      writeFileSync('README.md', withSection(readme, section));
      out('README.md: RELIABILITY section rewritten from this run.');
    } else if (current !== section) {
      out('README.md: the RELIABILITY section does not match this run. Run `npm run reliability` and commit README.md.');
      process.exitCode = 1;
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
