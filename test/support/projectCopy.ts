import { copyFileSync, lstatSync, mkdirSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Copies what a checkout of `root` holds into `dest` (an empty folder): every file and folder for
 * which `ignored` is false, walked from the top. A folder is asked about with a trailing "/", as git
 * does, so that `.gitignore`'s folder patterns (`node_modules/`, `dist/`) apply to it; an ignored
 * folder is not entered. Symbolic links are neither followed nor copied: a copied link would make
 * a later write into the copy land in whatever tree the link points at.
 */
export function copyCheckedOut(root: string, dest: string, ignored: (path: string) => boolean): void {
  const visit = (path: string) => {
    for (const name of readdirSync(join(root, path)).sort()) {
      const child = path === '' ? name : `${path}/${name}`;
      const stats = lstatSync(join(root, child));
      if (stats.isSymbolicLink()) continue;
      if (stats.isDirectory()) {
        if (ignored(`${child}/`)) continue;
        mkdirSync(join(dest, child));
        visit(child);
      } else if (stats.isFile() && !ignored(child)) {
        copyFileSync(join(root, child), join(dest, child));
      }
    }
  };
  visit('');
}

/**
 * Writes `text` to `path` (relative) inside `project`, creating the folders it needs, and refuses,
 * before writing anything, when any folder on the way or the file itself is a symbolic link, or when
 * the file's real parent folder is not inside the project's real folder.
 */
export function writeInside(project: string, path: string, text: string): void {
  const base = realpathSync(project);
  const target = resolve(base, path);
  if (!inside(base, target)) throw new Error(`${path} is not inside ${project}`);
  let folder = base;
  for (const segment of relative(base, dirname(target)).split(sep).filter(Boolean)) {
    folder = join(folder, segment);
    const stats = lstatSync(folder, { throwIfNoEntry: false });
    if (!stats) mkdirSync(folder);
    else if (stats.isSymbolicLink() || !stats.isDirectory())
      throw new Error(`Refusing to write ${path}: ${folder} is a link or not a folder`);
  }
  if (!inside(base, realpathSync(dirname(target))))
    throw new Error(`Refusing to write ${path}: its folder is outside ${project}`);
  if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink())
    throw new Error(`Refusing to write ${path}: it is a link`);
  writeFileSync(target, text);
}

/** Every symbolic link below `root`, as relative paths (links are not followed). */
export function linksBelow(root: string): string[] {
  const links: string[] = [];
  const visit = (path: string) => {
    for (const name of readdirSync(join(root, path))) {
      const child = path === '' ? name : `${path}/${name}`;
      const stats = lstatSync(join(root, child));
      if (stats.isSymbolicLink()) links.push(child);
      else if (stats.isDirectory()) visit(child);
    }
  };
  visit('');
  return links.sort();
}

function inside(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
