#!/usr/bin/env node
// The dependency check `.ci/run` runs: every import of src/ (static, `import type`, export-from, import())
// is read with the TypeScript compiler's parser and checked against the layers below and for cycles.
// Usage: node scripts/checkDependencies.mjs [dir]   (dir: src/ by default; prints each violation as
// `from -> to: rule` and exits 1 on any)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/**
 * The layers, by the folder (or root file) of src/ a file is in. `runtime`: what it may import at run time;
 * `typeOnly`: what it may import only with `import type` (or `{ type X }`). '*' means every area but `except`;
 * `files`: single files allowed besides, each with its reason.
 */
export const LAYERS = {
  index: { runtime: ['functions'], why: 'index.ts only registers the functions' },
  functions: {
    runtime: '*',
    except: ['index', 'cli', 'graph', 'storage', 'compositionRoot/parts'],
    why: 'entry points use the domain, the use-cases and the root (compositionRoot.ts), never an adapter or each other',
  },
  cli: {
    runtime: '*',
    except: ['index', 'functions', 'graph', 'storage', 'compositionRoot/parts'],
    // The CLI prints an update's report exactly as the HTTP answer shows it, statuses from the one table.
    files: ['functions/httpStatus.ts'],
    why: 'entry points use the domain, the use-cases and the root (compositionRoot.ts), never an adapter or each other',
  },
  compositionRoot: {
    runtime: '*',
    except: ['index', 'functions', 'cli'],
    why: 'the root builds adapters for the entry points, never the reverse',
  },
  'compositionRoot/parts': {
    runtime: '*',
    except: ['index', 'functions', 'cli', 'compositionRoot'],
    why: "the root's parts (compositionRoot/*.ts) are reached only through compositionRoot.ts",
  },
  config: {
    runtime: ['config', 'lib', 'renewal/policy'],
    why: "settings are read with the policy's parsers and nothing else",
  },
  lib: { runtime: ['lib'], why: 'app-agnostic helpers know nothing of the app' },
  'renewal/policy': {
    runtime: ['renewal/policy', 'lib', 'domainTypes'],
    typeOnly: ['renewal'],
    why: 'the policy is pure: it decides, the run applies it',
  },
  renewal: {
    runtime: ['renewal', 'renewal/policy', 'lib'],
    why: 'the domain imports only itself and app-agnostic helpers',
  },
  operations: {
    runtime: ['operations', 'renewal', 'renewal/policy', 'lib'],
    why: 'a use-case takes ports and plain values, never config, the root or adapters',
  },
  lifecycle: {
    runtime: ['lifecycle', 'renewal', 'renewal/policy', 'lib'],
    why: 'a use-case takes ports and plain values, never config, the root or adapters',
  },
  statusPage: {
    runtime: ['statusPage', 'lib'],
    typeOnly: ['renewal', 'renewal/policy'],
    why: 'the page renders the status report (its types), pure',
  },
  graph: {
    runtime: ['graph', 'lib', 'domainTypes'],
    typeOnly: ['renewal', 'renewal/policy'],
    why: "an adapter implements the domain's ports and imports nothing else of it at run time",
  },
  storage: {
    runtime: ['storage', 'lib', 'domainTypes'],
    typeOnly: ['renewal', 'renewal/policy'],
    why: "an adapter implements the domain's ports and imports nothing else of it at run time",
  },
};

/**
 * The domain files adapters may import at run time: the ports, the errors they throw (with the two
 * predicates that read them), plain types and constants, and small pure readers of the shapes an
 * adapter stores (the queue message's parser, the attention entry's key, the tenant's record and
 * the consent URL its errors name).
 */
export const DOMAIN_TYPES = [
  'renewal/ports.ts',
  'renewal/errors.ts',
  'renewal/subscription.ts',
  'renewal/queueMessage.ts',
  'renewal/status/attentionKinds.ts',
  'renewal/tenant.ts',
];

/** Areas that must not import an SDK package (type-only included): the domain, the use-cases, the page, lib. */
export const NO_SDK = {
  // config/ too: every function file imports it statically, so an SDK there would load at start-up.
  areas: ['renewal', 'renewal/policy', 'lib', 'operations', 'lifecycle', 'statusPage', 'config'],
  packages: /^@(azure|microsoft)\//,
  why: 'the SDKs stay in the adapters',
};

/** The area of a path relative to src/ ('renewal/run/run.ts' -> 'renewal'), or undefined outside every layer. */
export function areaOf(file) {
  const parts = file.split('/');
  if (parts.length === 1) {
    const name = parts[0].replace(/\.ts$/, '');
    return ['index', 'cli', 'compositionRoot', 'config'].includes(name) ? name : undefined;
  }
  if (parts[0] === 'renewal' && parts[1] === 'policy' && parts.length > 2) return 'renewal/policy';
  if (parts[0] === 'compositionRoot') return 'compositionRoot/parts';
  return parts[0] in LAYERS ? parts[0] : undefined;
}

/** Every import of one file: `{ specifier, typeOnly }`, from its syntax alone. */
export function importsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push({ specifier: argument.text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The file a relative specifier names among `files` (paths relative to src/), or undefined. */
function resolve(from, specifier, files) {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier.replace(/\.(js|ts)$/, '')));
  return [`${base}.ts`, `${base}/index.ts`].find((candidate) => files.has(candidate));
}

/**
 * Checks a tree: `files` maps each path relative to src/ ('renewal/run/run.ts') to its text. Returns the
 * edges found and the violations, each `{ from, to, rule }` (a cycle: `from` and `to` are an edge of it).
 */
export function checkDependencies(files) {
  const edges = [];
  const violations = [];
  for (const [from, text] of files) {
    const area = areaOf(from);
    if (area === undefined)
      violations.push({
        from,
        to: from,
        rule: 'file outside every layer (see LAYERS in scripts/checkDependencies.mjs)',
      });
    for (const { specifier, typeOnly } of importsOf(from, text)) {
      if (!specifier.startsWith('.')) {
        if (area && NO_SDK.areas.includes(area) && NO_SDK.packages.test(specifier))
          violations.push({ from, to: specifier, rule: `${area} imports no SDK package: ${NO_SDK.why}` });
        continue;
      }
      const to = resolve(from, specifier, files);
      if (to === undefined) {
        violations.push({ from, to: specifier, rule: 'unresolved relative import' });
        continue;
      }
      edges.push({ from, to, typeOnly });
      const rule = area && LAYERS[area];
      if (!rule) continue;
      const toArea = areaOf(to);
      if (toArea === undefined) continue;
      const allowed = (list) =>
        list === '*'
          ? !(rule.except ?? []).includes(toArea)
          : list.includes(toArea) || (list.includes('domainTypes') && DOMAIN_TYPES.includes(to));
      if (allowed(rule.runtime) || (rule.files ?? []).includes(to)) continue;
      if (typeOnly && rule.typeOnly && allowed(rule.typeOnly)) continue;
      const how = rule.typeOnly && rule.typeOnly.includes(toArea) ? 'at run time ' : '';
      violations.push({ from, to, rule: `${area} may not import ${toArea} ${how}(${rule.why})`.replace('  ', ' ') });
    }
  }
  for (const component of cyclesOf(files, edges)) {
    const inside = new Set(component);
    const edge = edges.find((e) => inside.has(e.from) && inside.has(e.to));
    violations.push({
      from: edge.from,
      to: edge.to,
      rule: `import cycle (type-only imports count) among ${component.join(', ')}`,
    });
  }
  const said = new Set();
  const unique = violations.filter(
    ({ from, to, rule }) => !said.has(`${from} ${to} ${rule}`) && said.add(`${from} ${to} ${rule}`),
  );
  return { files: files.size, edges, violations: unique };
}

/** The strongly connected components with a cycle (Tarjan), each as its sorted files. */
function cyclesOf(files, edges) {
  const next = new Map([...files.keys()].map((file) => [file, []]));
  for (const { from, to } of edges) next.get(from).push(to);
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  let counter = 0;
  const connect = (file) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file)) {
      if (!index.has(to)) {
        connect(to);
        low.set(file, Math.min(low.get(file), low.get(to)));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file), index.get(to)));
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || next.get(file).includes(file)) components.push(component.sort());
  };
  for (const file of next.keys()) if (!index.has(file)) connect(file);
  return components;
}

/** Every .ts file under `dir`, keyed by its path relative to `dir` (with '/'), with its text. */
export function readTree(dir) {
  const files = new Map();
  const walk = (sub) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const relative = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
        files.set(relative, readFileSync(path.join(dir, relative), 'utf8'));
    }
  };
  walk('');
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const src = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const { files, edges, violations } = checkDependencies(readTree(src));
  for (const { from, to, rule } of violations) console.log(`${from} -> ${to}: ${rule}`);
  if (violations.length > 0) {
    console.log(
      `Dependency check FAILED: ${violations.length} violation(s) in ${files} files, ${edges.length} imports.`,
    );
    process.exit(1);
  }
  console.log(`Dependency check OK: ${files} files, ${edges.length} imports, no cycle, every layer rule kept.`);
}
