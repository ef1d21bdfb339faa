// Preloaded (node --require) into a process that loads the deployable bundle as the Functions host
// does: it stands in for the host's @azure/functions-core, so that `app.timer(...)` and `app.http(...)`
// register their functions with it (not @azure/functions' test mode), and lets the script read which
// files were loaded (require.cache) and which functions were registered.
const Module = require('node:module');

const registered = [];
const coreApi = {
  setProgrammingModel() {},
  registerFunction(metadata, handler) {
    registered.push({ name: metadata.name, bindings: metadata.bindings, handler });
    return { dispose() {} };
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
};

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@azure/functions-core') return coreApi;
  return load.call(this, request, ...rest);
};

globalThis.coldStart = {
  registered,
  /** Every file loaded so far, this probe aside. */
  loadedFiles: () => Object.keys(require.cache).filter((file) => file !== __filename),
};
