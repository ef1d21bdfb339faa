// Serves one Azurite service in this child process: starts it, prints one JSON line with its URL for
// the parent (test/support/azurite.ts), and stops it on SIGTERM, SIGINT or when the parent goes.
module.exports = function serve(server) {
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
};
