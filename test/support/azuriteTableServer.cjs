// Runs Azurite's table service in a child process of its own: in memory, on a free loopback port,
// without the CLI's telemetry. Prints one JSON line with the URL, then serves until SIGTERM.
// (Loaded in the test process, Azurite patches `require` for Application Insights; here it cannot.)
const TableServer = require('azurite/dist/src/table/TableServer').default;
const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;

const port = Number(process.argv[2] ?? 0);
const config = new TableConfiguration(
  '127.0.0.1', port, undefined, undefined,
  false, false, undefined, undefined, // no debug log, no access log
  false, false, '', '', '', undefined, false,
  true, // in-memory persistence
);
const server = new TableServer(config);
server.start().then(
  () => process.stdout.write(`${JSON.stringify({ url: server.getHttpServerAddress() })}\n`),
  (error) => {
    process.stderr.write(`Azurite could not start: ${error.message}\n`);
    process.exit(1);
  },
);
const stop = () => server.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
