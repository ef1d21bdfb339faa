// One renewal run of the deployable bundle, in a process of its own so its peak memory is its own:
// `node scripts/benchRun.cjs <bundle>`, with the app settings in the environment (set by bench.ts).
// Prints one JSON line: the run's wall time, the process's peak resident set size, and when the run
// started (ms since the epoch, to set other processes' timestamps against it).

const bundle = process.argv[2];
const { renewSubscriptions } = require(bundle);
// What a first invocation loads (the SDKs) is measured with the cold start; the run's time is the run's.
require(bundle.replace(/index\.js$/, 'sdk.js'));
let lines = 0;
const count = () => void lines++;
// What the host passes; the handler only logs through it.
const context = {
  invocationId: 'bench',
  functionName: 'renewSubscriptions',
  log: count,
  trace: count,
  debug: count,
  info: count,
  warn: count,
  error: count,
};
const timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

const started = performance.now();
renewSubscriptions(timer, context).then(
  () => finish(undefined),
  (error) => finish(error instanceof Error ? error.message : String(error)),
);

function finish(error) {
  const wallMs = performance.now() - started;
  // maxRSS is in kilobytes on Linux.
  const startedAtMs = performance.timeOrigin + started;
  const { user, system } = process.cpuUsage();
  const cpuMs = (user + system) / 1000;
  process.stdout.write(
    `${JSON.stringify({ wallMs, maxRssKb: process.resourceUsage().maxRSS, lines, error, startedAtMs, cpuMs })}\n`,
  );
  process.exit(0);
}
