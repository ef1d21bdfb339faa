// Control characters, line and paragraph separators, and the bidirectional overrides that can make
// a log line read differently from what it holds.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text an anonymous caller sent, made safe to put in a log line: at most `max` characters, and no
 * character that could start a forged line or disguise one (each becomes U+FFFD).
 */
export function printable(text: string, max: number): string {
  return text.slice(0, max).replace(UNPRINTABLE, '\uFFFD');
}
