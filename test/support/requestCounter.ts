import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of Azurite's table service that counts the requests going through
 * it, per table: how the status's cost is shown to stay the same whatever the number of rows (the
 * tests) and measured (the bench), with the real SDK and the real emulator on either side.
 */
export class RequestCounter {
  /** Requests seen, per table name (a batch transaction counts once, as the service bills it). */
  readonly counts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: string): Promise<RequestCounter> {
    const upstream = new URL(target);
    let counter!: RequestCounter;
    const server = createServer((incoming, outgoing) => void forward(incoming, outgoing));
    const forward = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
      counter.count(incoming.url ?? '/');
      await counter.held;
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    };
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    counter = new RequestCounter(server, (server.address() as AddressInfo).port);
    return counter;
  }

  /** While set, requests wait here before going on: a table service slower than any deadline. */
  private held: Promise<void> | undefined;
  private releaseHeld: (() => void) | undefined;

  /** Holds every request from now on until `release()`. */
  hold(): void {
    this.held ??= new Promise((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.releaseHeld?.();
    this.held = undefined;
  }

  /** The requests counted since the last reset, in all or for tables whose name starts with `prefix`. */
  total(prefix = ''): number {
    let sum = 0;
    for (const [table, n] of this.counts) if (table.startsWith(prefix)) sum += n;
    return sum;
  }

  reset(): void {
    this.counts.clear();
  }

  /** `connectionString` with its table endpoint pointing at this proxy. */
  connectionString(connectionString: string): string {
    return connectionString.replace(
      /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
      `TableEndpoint=http://127.0.0.1:${this.port}`,
    );
  }

  stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private count(url: string): void {
    // /devstoreaccount1/<table>(PartitionKey='…',RowKey='…')?… or /devstoreaccount1/Tables or /$batch
    const segment = decodeURIComponent(url.split('?')[0]!.split('/')[2] ?? '');
    const table = segment.replace(/\(.*$/, '');
    this.counts.set(table, (this.counts.get(table) ?? 0) + 1);
  }
}
