// Bundles the app into dist/index.js: what azd and `func azure functionapp publish` deploy.
// @azure/functions-core is provided by the Functions host at run time, so it stays out.
import { build } from 'esbuild';

const outfile = process.argv[2] ?? 'dist/index.js';
const result = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile,
  external: ['@azure/functions-core'],
  // ESM dependencies (@azure/storage-common) call createRequire(import.meta.url), which a CommonJS
  // bundle has no value for: give it this file's own URL.
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__bundleUrl' },
  sourcemap: true,
  minify: true,
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).find((output) => output.entryPoint)?.bytes ?? 0;
console.log(`bundled ${outfile}: ${(bytes / 1024).toFixed(0)} KiB`);
