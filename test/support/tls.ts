import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface LoopbackCertificate {
  dir: string;
  certPath: string;
  keyPath: string;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, written to a temporary folder. The Graph
 * client sends its token only over https, so the Graph emulator needs one; the test processes trust
 * it through NODE_EXTRA_CA_CERTS, read by Node when a process starts.
 */
export async function createLoopbackCertificate(): Promise<LoopbackCertificate> {
  const day = 86_400_000;
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - day),
    notAfterDate: new Date(Date.now() + 30 * day),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'graph-emulator-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, pems.cert);
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  return { dir, certPath, keyPath };
}
