import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';

/**
 * The files `azd deploy` zips for a Function App service, computed the way azd computes them
 * (azure-dev cli/azd/pkg/project/project_utils.go, createDeployableZip, and pkg/rzip/rzip.go):
 * - the service's project folder is walked from the top, and a folder that is left out is not
 *   entered at all, so nothing below it can come back;
 * - a folder named `.azure`, and files named `.funcignore` or `local.settings.json`, are always left out;
 * - everything else is matched against `.funcignore` alone (a UTF-8 BOM stripped), with the
 *   github.com/denormal/go-gitignore library azd uses: the last pattern that matches decides,
 *   and a `!` pattern lets a path back in (azd honours negations since 1.23.13, azure-dev #7311).
 *   azd reads no `.gitignore`. Without a `.funcignore` azd applies defaults this project never uses.
 * Returns the packaged files' paths, relative and sorted.
 */
export function azdPackage(root: string): string[] {
  const rules = goGitignore(readFileSync(join(root, '.funcignore'), 'utf8').replace(/^\uFEFF/, ''));
  return walk(root, (relative, name, isDir) => {
    if (isDir && name === '.azure') return false;
    if (!isDir && (name === '.funcignore' || name === 'local.settings.json')) return false;
    return !rules(relative, isDir);
  });
}

/**
 * The same walk with git's own rules (the `ignore` package), for a second opinion: an allow-list
 * that means the same under both does not depend on go-gitignore's departures from git.
 */
export function gitPackage(root: string): string[] {
  const rules = ignore().add(readFileSync(join(root, '.funcignore'), 'utf8'));
  return walk(root, (relative, _name, isDir) => !rules.ignores(isDir ? `${relative}/` : relative));
}

function walk(root: string, keep: (relative: string, name: string, isDir: boolean) => boolean): string[] {
  const files: string[] = [];
  const visit = (relative: string) => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      // rzip follows symbolic links: what counts is what the link points at.
      const isDir = statSync(join(root, path)).isDirectory();
      if (!keep(path, name, isDir)) continue;
      if (isDir) visit(path);
      else files.push(path);
    }
  };
  visit('');
  return files.sort();
}

/**
 * go-gitignore's matching (github.com/denormal/go-gitignore at ae8ad1d, lexer.go, parser.go,
 * pattern.go), for the patterns this project uses. Where it departs from git it is followed, not
 * git: a `/`-anchored pattern without another `/` is matched with fnmatch and no FNM_PATHNAME, so
 * its `*` also crosses `/` (`/*` matches `dist/index.js` too). Character classes and escapes are
 * refused rather than approximated. Returns whether a path is ignored.
 */
export function goGitignore(text: string): (relative: string, isDir: boolean) => boolean {
  const patterns = text
    .split(/\r?\n/)
    .map((line) => line.replace(/[ \t]+$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map(parsePattern);
  return (relative, isDir) => {
    // Relative(): the patterns from the last; the first that matches decides.
    for (const pattern of [...patterns].reverse()) {
      if (pattern.matches(relative, isDir)) return !pattern.negated;
    }
    return false;
  };
}

interface Pattern {
  negated: boolean;
  matches(relative: string, isDir: boolean): boolean;
}

function parsePattern(line: string): Pattern {
  if (/[[\\]/.test(line))
    throw new Error(
      `.funcignore pattern "${line}": character classes and escapes are not ported; extend test/support/azdPackage.ts first`,
    );
  let body = line;
  const negated = body.startsWith('!');
  if (negated) body = body.slice(1);
  const anchored = body.startsWith('/');
  if (anchored) body = body.slice(1);
  const directory = body.endsWith('/');
  if (directory) body = body.slice(0, -1);
  const segments = body.split('/');
  const dirOk = (isDir: boolean) => !directory || isDir;

  if (segments.includes('**')) {
    // "any" patterns: path components against the pattern's components, ** standing for any number.
    const match = (path: string[], tokens: string[]): boolean => {
      if (tokens.length === 0) return path.length === 0;
      const [token, ...rest] = tokens;
      if (token === '**') return match(path, rest) || (path.length > 0 && match(path.slice(1), tokens));
      return path.length > 0 && fnmatch(token!, path[0]!, true) && match(path.slice(1), rest);
    };
    return {
      negated,
      matches: (relative, isDir) =>
        dirOk(isDir) &&
        match(
          relative.split('/'),
          segments.filter((s) => s !== ''),
        ),
    };
  }
  if (segments.some((segment) => segment.includes('**')))
    throw new Error(`.funcignore pattern "${line}": ** inside a name is not ported`);
  if (segments.length > 1) {
    // "path" patterns: the whole relative path, with FNM_PATHNAME; anchored or not, go-gitignore tries the same match.
    return { negated, matches: (relative, isDir) => dirOk(isDir) && fnmatch(body, relative, true) };
  }
  // "name" patterns: anchored ones against the whole path without FNM_PATHNAME, others against the last component.
  return {
    negated,
    matches: (relative, isDir) =>
      dirOk(isDir) && (anchored ? fnmatch(body, relative, false) : fnmatch(body, relative.split('/').pop()!, false)),
  };
}

/** BSD fnmatch for `*` and `?` (github.com/danwakefield/fnmatch): with FNM_PATHNAME neither crosses `/`. */
function fnmatch(pattern: string, value: string, pathname: boolean): boolean {
  const any = pathname ? '[^/]' : '[\\s\\S]';
  const source = [...pattern]
    .map((c) => (c === '*' ? `${any}*` : c === '?' ? any : c.replace(/[.+^${}()|]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}
