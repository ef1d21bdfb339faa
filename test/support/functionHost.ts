import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { captureOutput } from './reliability/leakWatch';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The app's HTTP functions served over HTTPS on loopback, as the Functions host would serve them,
 * so the Graph emulator's validation requests and lifecycle notifications reach the real handlers.
 * It also plays the consumer's own notification endpoint (`notificationUrl`), which answers Graph's
 * validation like a correct consumer unless told to fail.
 */
export class FunctionHost {
  private readonly routes = new Map<string, Handler>();
  /** How the stand-in consumer answers validation requests. */
  consumer: 'valid' | 'refuses' | 'wrong-token' = 'valid';

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly context: (name: string) => InvocationContext,
  ) {}

  static async start(options: {
    certPath: string;
    keyPath: string;
    context: (name: string) => InvocationContext;
  }): Promise<FunctionHost> {
    let host!: FunctionHost;
    const server = createServer(
      { cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) },
      (request, response) => void host.handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    host = new FunctionHost(server, `https://localhost:${port}`, options.context);
    return host;
  }

  /** Serves `handler` at POST /api/{route}. */
  route(route: string, handler: Handler): string {
    this.routes.set(`/api/${route}`, handler);
    return `${this.baseUrl}/api/${route}`;
  }

  /** The stand-in consumer's notification URL. */
  get notificationUrl(): string {
    return `${this.baseUrl}/consumer/notifications`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', this.baseUrl);
    if (url.pathname === '/consumer/notifications') return this.consume(url, response);
    const handler = this.routes.get(url.pathname);
    if (!handler) {
      response.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
    const body = Buffer.concat(chunks).toString('utf8');
    const answer = await handler(
      new HttpRequest({
        method: request.method ?? 'GET',
        url: url.toString(),
        headers,
        ...(body === '' ? {} : { body: { string: body } }),
      }),
      this.context(url.pathname),
    );
    const json = answer.jsonBody !== undefined;
    response.writeHead(answer.status ?? 200, {
      ...(json ? { 'Content-Type': 'application/json' } : {}),
      ...(answer.headers as Record<string, string> | undefined),
    });
    const text = json ? JSON.stringify(answer.jsonBody) : (answer.body as string | undefined);
    captureOutput('response', text ?? '');
    response.end(text);
  }

  private consume(url: URL, response: ServerResponse): void {
    const token = url.searchParams.get('validationToken');
    if (token === null) {
      response.writeHead(202).end();
      return;
    }
    if (this.consumer === 'refuses') {
      response.writeHead(500).end();
      return;
    }
    response
      .writeHead(200, { 'Content-Type': 'text/plain' })
      .end(this.consumer === 'wrong-token' ? 'not the token' : token);
  }
}
