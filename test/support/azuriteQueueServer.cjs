// Runs Azurite's queue service in a child process of its own, like azuriteTableServer.cjs: in memory,
// on a free loopback port (argument: port, 0 for a free one), without telemetry. Prints one JSON line
// with the URL, then serves until SIGTERM.
const QueueServer = require('azurite/dist/src/queue/QueueServer').default;
const QueueConfiguration = require('azurite/dist/src/queue/QueueConfiguration').default;

const [port = '0'] = process.argv.slice(2);
const config = new QueueConfiguration(
  '127.0.0.1',
  Number(port),
  undefined,
  undefined,
  undefined,
  undefined, // no database files: in memory
  false,
  undefined,
  false,
  undefined, // no access log, no debug log
  false,
  // The queue SDK pinned here (@azure/storage-queue 12.30, the last for Node 20) speaks a newer API
  // version than this Azurite (3.35, the last for Node 20) knows; the operations it uses (create,
  // put, get, delete) are unchanged for years, so the version check is skipped, not the protocol.
  true,
  '',
  '',
  '',
  undefined,
  false,
  true, // in-memory persistence
);
require('./azuriteServe.cjs')(new QueueServer(config));
