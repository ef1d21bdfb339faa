/**
 * Client states that are almost ours, each made from the real one: what a forger who knows part of
 * it sends, or what a careless copy of the setting holds. Not one of them may be acted on.
 */
export const FORGED_CLIENT_STATES: [description: string, forge: (secret: string) => unknown][] = [
  ['the same length, the last character different', (secret) => secret.slice(0, -1) + other(secret.at(-1)!)],
  ['the same length, the first character different', (secret) => other(secret[0]!) + secret.slice(1)],
  ['all but the last character', (secret) => secret.slice(0, -1)],
  ['its first 16 characters', (secret) => secret.slice(0, 16)],
  ['one character longer', (secret) => `${secret}x`],
  ['empty', () => ''],
  ['a leading space', (secret) => ` ${secret}`],
  ['a trailing newline', (secret) => `${secret}\n`],
  ['the other case', (secret) => (/[A-Za-z]/.test(secret) ? swapCase(secret) : `${secret}A`)],
  [
    'a Cyrillic look-alike of one letter',
    (secret) => replaceOne(secret, /[aceopx]/, (char) => CYRILLIC[char] ?? '\u0430'),
  ],
  [
    'a fullwidth look-alike of one character',
    (secret) =>
      replaceOne(secret, /[0-9A-Za-z]/, (char) =>
        String.fromCharCode((/[0-9A-Za-z]/.test(char) ? char : 'A').charCodeAt(0) + 0xfee0),
      ),
  ],
  ['a combining accent added', (secret) => `${secret}\u0301`],
  ['null', () => null],
  ['a number', () => 42],
  ['an object holding it', (secret) => ({ value: secret })],
];

/** The forgeries that are strings, for a fuzzer to mix into its payloads. */
export function nearMisses(secret: string): string[] {
  return FORGED_CLIENT_STATES.map(([, forge]) => forge(secret)).filter(
    (state): state is string => typeof state === 'string' && state !== secret,
  );
}

const CYRILLIC: Record<string, string> = {
  a: '\u0430',
  c: '\u0441',
  e: '\u0435',
  o: '\u043e',
  p: '\u0440',
  x: '\u0445',
};

/** `secret` with its first character matching `pattern` (or, if none does, its first character) replaced. */
function replaceOne(secret: string, pattern: RegExp, by: (char: string) => string): string {
  return pattern.test(secret) ? secret.replace(pattern, by) : by(secret[0]!) + secret.slice(1);
}

function other(char: string): string {
  return char === 'A' ? 'B' : 'A';
}

function swapCase(text: string): string {
  return [...text].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
}
