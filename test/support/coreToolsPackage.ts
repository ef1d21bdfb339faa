import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The files `func azure functionapp publish` zips for a Node app, computed the way Azure Functions
 * Core Tools computes them (Azure/azure-functions-core-tools at 3ee97a6: src/Cli/func/Helpers/ZipHelper.cs,
 * GetAppZipFile, and src/Cli/func/Common/FileSystemHelpers.cs, GetLocalFiles and GetFiles):
 * - every folder is entered, ignored or not, except those named `.git` or `.vscode` (any case);
 * - files named `.funcignore`, `.gitignore`, `local.settings.json` or `project.lock.json` (any case)
 *   are left out;
 * - every other file's relative path (with "/") is kept when `.funcignore` accepts it
 *   (coreToolsIgnore). Without a `.funcignore` everything is kept.
 * Returns the packaged files' paths, relative and sorted.
 */
export function coreToolsPackage(root: string): string[] {
  const accepts = coreToolsIgnore(readFileSync(join(root, '.funcignore'), 'utf8').replace(/^\uFEFF/, ''));
  const files: string[] = [];
  const visit = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      // Directory.GetFiles and GetDirectories list what a link points at, as a file or a folder.
      if (statSync(join(root, path)).isDirectory()) {
        if (!['.git', '.vscode'].includes(name.toLowerCase())) visit(path);
      } else if (
        !['.funcignore', '.gitignore', 'local.settings.json', 'project.lock.json'].includes(name.toLowerCase()) &&
        accepts(path)
      ) {
        files.push(path);
      }
    }
  };
  visit('');
  return files.sort();
}

/**
 * Core Tools' .funcignore parser (src/Cli/func/Common/GitIgnoreParser.cs, a C# port of
 * codemix/gitignore-parser), line for line, for its Accepts(path). It is not git's matching:
 * - each line is trimmed; lines starting with "#" and empty lines are dropped; a leading "!" puts the
 *   line among the negatives, then one leading "/" is dropped (so every pattern is read from the root);
 * - a pattern becomes a regular expression: the characters - [ ] / { } ( ) + ? . \ ^ $ | are taken
 *   literally, `**` is `(.+)`, `*` is `([^/]+)` (one or more characters, never none);
 * - the negatives, and the others, are each joined into one `^((p1)|(p2)…)\b` (the C# sorts them
 *   first, which changes no match, and the order of the lines matters nowhere): a pattern matches
 *   any path that starts with it where a word boundary follows, so `dist/index.js` also matches
 *   `dist/index.js.map`, and `dist/` matches everything under dist/;
 * - a path is accepted when a negative matches it, or else when no other pattern does: a "!" line
 *   always wins, wherever it stands.
 * (The class also builds a "partial" expression from each pattern; Accepts and Denies never read it.)
 * .NET's ECMAScript option gives the same `\b` (ASCII letters, digits, underscore) as JavaScript's.
 */
export function coreToolsIgnore(text: string): (path: string) => boolean {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    const isNegative = line.startsWith('!');
    if (isNegative) line = line.slice(1);
    if (line.startsWith('/')) line = line.slice(1);
    (isNegative ? negative : positive).push(line);
  }
  const joined = (patterns: string[]) =>
    patterns.length > 0 ? new RegExp(`^((${patterns.map(prepare).join(')|(')}))\\b`) : /$^/;
  const [accepted, ignored] = [joined(negative), joined(positive)];
  return (path) => {
    const input = path === '/' ? '' : path;
    return accepted.test(input) || !ignored.test(input);
  };
}

/** PrepareRegexPattern. */
function prepare(pattern: string): string {
  return pattern
    .replace(/[-[\]/{}()+?.\\^$|]/g, '\\$&')
    .replaceAll('**', '(.+)')
    .replaceAll('*', '([^\\/]+)');
}
