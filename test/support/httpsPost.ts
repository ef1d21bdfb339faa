import { request } from 'node:https';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * POSTs `body` to `url` as a client on the internet would, headers exactly as given (no content type
 * unless given; chunked when `contentLength` is false). Loopback only: NODE_EXTRA_CA_CERTS trusts its certificate.
 */
export function httpsPost(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
  contentLength = true,
): Promise<Answer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent: false,
        timeout: 15_000,
        headers: { ...headers, ...(contentLength ? { 'Content-Length': String(bytes.length) } : {}) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${new URL(url).pathname} within 15 s`)));
    outgoing.on('error', reject);
    outgoing.end(bytes);
  });
}
