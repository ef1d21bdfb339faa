import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startAzurite } from './azurite';
import { recordDirectory } from './reliability/record';
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
  // Every worker records what the reliability report needs here (test/support/reliability); a run starts it empty.
  process.env.RELIABILITY_RECORD_DIR = recordDirectory();
  rmSync(process.env.RELIABILITY_RECORD_DIR, { recursive: true, force: true });
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
