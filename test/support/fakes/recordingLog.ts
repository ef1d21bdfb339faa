import { format } from 'node:util';
import type { Log } from '../../../src/renewal/ports';

export interface LoggedLine {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** The run's log (the port InvocationContext fills in production), keeping every line for assertions. */
export class RecordingLog implements Log {
  readonly lines: LoggedLine[] = [];

  info(...args: unknown[]): void {
    this.lines.push({ level: 'info', message: format(...args) });
  }

  warn(...args: unknown[]): void {
    this.lines.push({ level: 'warn', message: format(...args) });
  }

  error(...args: unknown[]): void {
    this.lines.push({ level: 'error', message: format(...args) });
  }

  /** The messages logged at `level` (or any). */
  messages(level?: LoggedLine['level']): string[] {
    return this.lines.filter((line) => !level || line.level === level).map((line) => line.message);
  }

  /** The fields of the event lines named `event` (the JSON after " | ", src/renewal/events.ts). */
  events(event?: string): Record<string, unknown>[] {
    return this.lines
      .map((line) => /\| (\{.*\})$/.exec(line.message)?.[1])
      .filter((json): json is string => json !== undefined)
      .map((json) => JSON.parse(json) as Record<string, unknown>)
      .filter((fields) => event === undefined || fields.event === event);
  }
}
