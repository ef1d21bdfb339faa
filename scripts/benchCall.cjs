// One HTTP function of the deployable bundle, called in a process of its own so its peak memory is its
// own: `node scripts/benchCall.cjs <bundle> <function> [query]`, the app settings in the environment.
// Calls it once to warm up (tables known, SDK loaded), then once measured. Prints one JSON line.

const [bundle, name, query = ''] = process.argv.slice(2);
const app = require(bundle);
require(bundle.replace(/index\.js$/, 'sdk.js'));
const noop = () => undefined;
const context = {
  invocationId: 'bench',
  functionName: name,
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
};
const request = () => ({ query: new URLSearchParams(query), headers: new Headers(), params: {} });

(async () => {
  await app[name](request(), context);
  const started = performance.now();
  const answer = await app[name](request(), context);
  const wallMs = performance.now() - started;
  const bytes =
    answer.jsonBody !== undefined ? JSON.stringify(answer.jsonBody).length : String(answer.body ?? '').length;
  process.stdout.write(
    `${JSON.stringify({ wallMs, maxRssKb: process.resourceUsage().maxRSS, status: answer.status, bytes })}\n`,
  );
  process.exit(0);
})().catch((error) => {
  process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  process.exit(0);
});
