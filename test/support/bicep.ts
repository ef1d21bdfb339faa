import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../../', import.meta.url);

/** Reads a file of the repository. */
export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** Every .bicep file under infra/, as repository paths. */
export function bicepFiles(): string[] {
  const app = readdirSync(new URL('infra/app/', root)).filter((file) => file.endsWith('.bicep'));
  return ['infra/main.bicep', ...app.map((file) => `infra/app/${file}`)];
}

/** The app settings a Bicep file sets, as written: `{ name: 'X', value: <expression> }`. */
export function appSettings(bicep: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const match of bicep.matchAll(/\{\s*name:\s*'([^']+)',\s*value:\s*(.+?)\s*\}\s*$/gm)) settings.set(match[1]!, match[2]!);
  return settings;
}

export interface SyntaxError {
  line: number;
  column: number;
  text: string;
}

/**
 * Syntax errors in a Bicep file, from the tree-sitter-bicep grammar (WebAssembly: nothing to build).
 * The grammar (1.1.0) predates the `extension` statement, so that one statement is blanked first.
 */
export async function bicepSyntaxErrors(source: string): Promise<SyntaxError[]> {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  const tree = parser.parse(source.replace(/^extension \w+$/gm, (line) => ' '.repeat(line.length)));
  const errors: SyntaxError[] = [];
  const walk = (node: NonNullable<typeof tree>['rootNode']) => {
    if (node.type === 'ERROR' || node.isMissing) {
      errors.push({ line: node.startPosition.row + 1, column: node.startPosition.column + 1, text: node.text.slice(0, 80) });
    }
    for (const child of node.children) if (child) walk(child);
  };
  if (tree) walk(tree.rootNode);
  return errors;
}
