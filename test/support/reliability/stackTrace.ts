/**
 * What a stack trace looks like in text: an indented "at" line, or a source location with a line
 * and column ("handler.ts:12:5", "(node:internal/...:3:9)"). A time of day ("at 09:00:00") is not one.
 */
export const STACK_TRACE = /\n\s+at |\(\S+:\d+:\d+\)|\S\.[cm]?[jt]s:\d+:\d+|\bnode:internal\//;

export function hasStackTrace(text: string): boolean {
  return STACK_TRACE.test(text);
}
