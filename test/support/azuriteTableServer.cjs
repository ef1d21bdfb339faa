// Runs Azurite's table service in a child process of its own: in memory, on a free loopback port,
// without the CLI's telemetry. Prints one JSON line with the URL, then serves until SIGTERM.
// (Loaded in the test process, Azurite patches `require` for Application Insights; here it cannot.)
// Arguments: port (0 for a free one), and optionally a certificate and key: then it speaks HTTPS
// and accepts Entra bearer tokens (Azurite's "basic" OAuth), as well as the account key; and
// optionally a directory: then the tables persist there, so a restart on the same port keeps them.
const TableServer = require('azurite/dist/src/table/TableServer').default;
const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;

const [port = '0', certPath = '', keyPath = '', location = ''] = process.argv.slice(2);
const https = certPath !== '' && keyPath !== '';
const config = new TableConfiguration(
  '127.0.0.1',
  Number(port),
  undefined,
  location === '' ? undefined : require('node:path').join(location, '__azurite_db_table__.json'),
  false,
  false,
  undefined,
  undefined, // no debug log, no access log
  false,
  false,
  certPath,
  keyPath,
  '',
  https ? 'basic' : undefined, // OAuth needs HTTPS
  false,
  location === '', // in memory unless a directory is given
);
require('./azuriteServe.cjs')(new TableServer(config));
