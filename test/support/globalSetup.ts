import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startAzurite } from './azurite';
import { runRecordDirectory } from './reliability/record';
import { createLoopbackCertificate } from './tls';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
    tlsCertPath: string;
    tlsKeyPath: string;
  }
}

/** One Azurite (tables and queues) and one loopback certificate for the whole run; test files isolate by table name. */
export default async function setup(project: TestProject) {
  // Every worker records what the reliability report needs in a folder of this run's own (two runs
  // at once in one checkout must not mix); folders of runs no longer alive are removed.
  process.env.RELIABILITY_RECORD_DIR = runRecordDirectory(process.pid);
  const certificate = await createLoopbackCertificate();
  // Read by Node at process start: the test workers, forked after this, trust the emulator's certificate.
  process.env.NODE_EXTRA_CA_CERTS = certificate.certPath;
  const azurite = await startAzurite({ queues: true });
  project.provide('azuriteConnectionString', azurite.connectionString);
  project.provide('tlsCertPath', certificate.certPath);
  project.provide('tlsKeyPath', certificate.keyPath);
  return async () => {
    await azurite.stop();
    rmSync(certificate.dir, { recursive: true, force: true });
  };
}
