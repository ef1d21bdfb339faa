// Bundles the app into dist/index.js (what azd and `func azure functionapp publish` deploy) and the
// Azure SDKs it uses into dist/sdk.js beside it. The host loads index.js at start-up: the function
// registrations and the app's own code. sdk.js is loaded on a function's first invocation (the
// functions import compositionRoot.ts lazily, esbuild keeps such modules lazy), so starting the host does
// not compile 800 KB of SDK code it may not need yet. Each SDK class exists once, in sdk.js.
// @azure/functions-core is provided by the Functions host at run time, so it stays out.
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/index.js';
const sdkFile = join(dirname(outfile), 'sdk.js');
// The build owns dist/: it empties it first, so that nothing an earlier build, a tsc run or a hand
// left there can be deployed. `func azure functionapp publish` packs every file under dist/, whatever
// .funcignore says (docs/deploy.md); azd packs only the two bundles.
if (basename(dirname(outfile)) === 'dist') rmSync(dirname(outfile), { recursive: true, force: true });
/** Each SDK package and the name sdk.js exports it under. */
const SDKS = {
  '@azure/data-tables': 'dataTables',
  '@azure/identity': 'identity',
  '@azure/storage-queue': 'storageQueue',
  '@microsoft/microsoft-graph-client': 'graphClient',
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@azure/functions-core'],
  sourcemap: true,
  // Compiling the file is most of the start-up cost that is left: smaller is faster.
  minify: true,
  metafile: true,
  logLevel: 'warning',
  // ESM dependencies (@azure/storage-common) call createRequire(import.meta.url), which a CommonJS
  // bundle has no value for: give it this file's own URL.
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundleUrl' },
};

/** In index.js, each SDK import becomes a property of require('./sdk.js'), read when first used. */
const sdkFromSideFile = {
  name: 'sdk-from-side-file',
  setup(builder) {
    const filter = new RegExp(
      `^(${Object.keys(SDKS)
        .map((name) => name.replace(/[/.]/g, '\\$&'))
        .join('|')})$`,
    );
    builder.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'sdk' }));
    builder.onLoad({ filter: /.*/, namespace: 'sdk' }, (args) => ({
      contents: `module.exports = require('./sdk.js').${SDKS[args.path]};`,
      loader: 'js',
    }));
  },
};

const app = await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile,
  plugins: [sdkFromSideFile],
  // The side file is found beside the bundle at run time, not bundled.
  external: [...common.external, './sdk.js'],
});
const sdk = await build({
  ...common,
  stdin: {
    contents: Object.entries(SDKS)
      .map(([name, key]) => `exports.${key} = require('${name}');`)
      .join('\n'),
    resolveDir: process.cwd(),
    loader: 'js',
  },
  outfile: sdkFile,
});
const size = (result) =>
  Object.entries(result.metafile.outputs).reduce(
    (sum, [file, output]) => sum + (file.endsWith('.js') ? output.bytes : 0),
    0,
  );
console.log(
  `bundled ${outfile}: ${(size(app) / 1024).toFixed(0)} KiB, ${sdkFile}: ${(size(sdk) / 1024).toFixed(0)} KiB`,
);
