import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../../', import.meta.url);

/** Reads a file of the repository. */
export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, root), 'utf8');
}

/** A version such as 1.28.1 as a number that compares as versions do (1_028_001). */
export function version(text: string): number {
  const [major, minor, patch] = text.split('.').map(Number) as [number, number, number];
  return major * 1e6 + minor * 1e3 + patch;
}

/** The lowest azd version azure.yaml accepts (`requiredVersions: azd: '>= x.y.z'`), as version() gives it. */
export function requiredAzd(): number {
  const required = /^requiredVersions:\n {2}azd: '>= (\d+\.\d+\.\d+)'$/m.exec(readRepoFile('azure.yaml'));
  if (!required) throw new Error("azure.yaml has no requiredVersions.azd of the form '>= x.y.z'");
  return version(required[1]!);
}

/** Every .bicep file under infra/, as repository paths. */
export function bicepFiles(): string[] {
  const app = readdirSync(new URL('infra/app/', root)).filter((file) => file.endsWith('.bicep'));
  return ['infra/main.bicep', ...app.map((file) => `infra/app/${file}`)];
}

/**
 * The app settings a Bicep file sets, read from its syntax tree: every `{ name: 'X', value: <expression> }`
 * in an `appSettings` array, however it is laid out, also where `appSettings` is a `concat(...)` of
 * arrays and of variables holding arrays. Throws on an entry whose name is not a plain string.
 */
export async function appSettings(source: string): Promise<Map<string, string>> {
  return new Map([...(await appSettingEntries(source))].map(([name, entry]) => [name, entry.value]));
}

/**
 * The settings appSettings() finds that are set only under a condition, each with the condition it sits
 * under: an entry inside `c ? [...] : [...]` (directly or in a variable) has `c` when it is in the
 * first branch, `!(c)` when in the second.
 */
export async function conditionalAppSettings(source: string): Promise<Map<string, string>> {
  const conditional = new Map<string, string>();
  for (const [name, { condition }] of await appSettingEntries(source)) if (condition) conditional.set(name, condition);
  return conditional;
}

interface AppSettingEntry {
  value: string;
  condition?: string;
}

async function appSettingEntries(source: string): Promise<Map<string, AppSettingEntry>> {
  const tree = (await bicepParser()).parse(source);
  const settings = new Map<string, AppSettingEntry>();
  if (!tree) return settings;
  const variables = new Map(
    tree.rootNode.namedChildren
      .filter((node) => node?.type === 'variable_declaration')
      .map((node) => [node.namedChildren[0]!.text, node.namedChildren[1]!]),
  );
  const collect = (node: BicepNode, condition: string | undefined, seen: Set<string>) => {
    if (node.type === 'object') {
      const properties = new Map(
        node.namedChildren
          .filter((p) => p?.type === 'object_property')
          .map((p) => [p.namedChildren[0]!.text, p.namedChildren[1]!.text]),
      );
      const name = /^'([^'$]+)'$/.exec(properties.get('name') ?? '')?.[1];
      if (!name) throw new Error(`An app setting without a plain name: ${node.text}`);
      settings.set(name, { value: properties.get('value') ?? '', ...(condition && { condition }) });
      return;
    }
    if (node.type === 'ternary_expression') {
      const test = node.childForFieldName('condition')!.text;
      collect(node.childForFieldName('consequence')!, test, seen);
      collect(node.childForFieldName('alternative')!, `!(${test})`, seen);
      return;
    }
    if (node.type === 'identifier' && variables.has(node.text) && !seen.has(node.text)) {
      collect(variables.get(node.text)!, condition, new Set([...seen, node.text]));
      return;
    }
    // concat(...) and its arguments, arrays, parentheses: what they hold (not the function's own name).
    const children = node.type === 'call_expression' ? [node.childForFieldName('arguments')] : node.namedChildren;
    for (const child of children) if (child) collect(child, condition, seen);
  };
  const visit = (node: BicepNode) => {
    if (node.type === 'object_property' && node.namedChildren[0]?.text === 'appSettings') {
      collect(node.namedChildren[1]!, undefined, new Set());
      return;
    }
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(tree.rootNode);
  return settings;
}

export interface SyntaxError {
  line: number;
  column: number;
  text: string;
}

/**
 * Syntax errors in a Bicep file, from the tree-sitter-bicep grammar. Syntax only: it does not know
 * resource types, property names or functions. The grammar (1.1.0) predates the `extension`
 * statement, so that one statement is blanked first.
 */
export async function bicepSyntaxErrors(source: string): Promise<SyntaxError[]> {
  const tree = (await bicepParser()).parse(source.replace(/^extension \w+$/gm, (line) => ' '.repeat(line.length)));
  const errors: SyntaxError[] = [];
  const walk = (node: BicepNode) => {
    if (node.type === 'ERROR' || node.isMissing) {
      errors.push({
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        text: node.text.slice(0, 80),
      });
    }
    for (const child of node.children) if (child) walk(child);
  };
  if (tree) walk(tree.rootNode);
  return errors;
}

type BicepParser = Awaited<ReturnType<typeof createParser>>;
type BicepNode = NonNullable<ReturnType<BicepParser['parse']>>['rootNode'];
let parser: Promise<BicepParser> | undefined;

/** The tree-sitter-bicep grammar, as WebAssembly: nothing to compile. */
function bicepParser(): Promise<BicepParser> {
  parser ??= createParser();
  return parser;
}

async function createParser() {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
  const created = new Parser();
  created.setLanguage(await Language.load(wasm));
  return created;
}
