import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IssuedToken } from './identityEmulator';

export interface EmulatedSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  includeResourceData?: boolean;
  encryptionCertificateId?: string;
  latestSupportedTlsVersion?: string;
  expirationDateTime: Date;
  clientState?: string;
  applicationId: string;
  /** When it was last PATCHed or reauthorized (Graph's clock), to catch both within 10 minutes. */
  lastPatchAt?: Date;
  lastReauthorizeAt?: Date;
}

/** What the emulator sent to a notification or lifecycle URL, and what came back. */
export interface Delivery {
  url: string;
  kind: 'validation' | 'lifecycle';
  /** When the emulator started sending it (this process's clock). */
  sentAt: Date;
  /** The subscription a lifecycle notification is about. */
  subscriptionId?: string;
  status: number;
  body: string;
}

/**
 * A canned answer for requests that match, used `times` times (Infinity: until removed). With
 * `delayMs` the answer comes that much later; without `status` the request is then served normally.
 */
export interface Fault {
  method?: string;
  /** Matches the subscription id in the path, when set. */
  subscriptionId?: string;
  status?: number;
  delayMs?: number;
  /** Serve the request after the delay even if the client gave up waiting: Graph did the work, the answer was lost. */
  completeAnyway?: boolean;
  /** Drop the connection without an answer (a reset), after any delay. */
  reset?: boolean;
  /** Do the work, then answer this error status instead of the result (a gateway timing out on a request that went through). */
  failAfterWork?: number;
  headers?: Record<string, string>;
  code?: string;
  message?: string;
  times: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  at: Date;
  authorized: boolean;
  /** The bearer token the request carried. */
  token?: string;
}

/**
 * Graph's throttling limits (graph/throttling-limits, facts.md), off unless set. Times can be scaled
 * down together (the bench runs Graph's 20-second window in 4).
 */
export interface GraphLimits {
  /** Outlook: concurrent requests per app per mailbox (4); one more is answered 429 at once. */
  mailboxConcurrency?: number;
  /** Subscription writes (POST, PATCH, DELETE) per app per tenant in any sliding `windowMs` (1,000 per 20 s). */
  writesPerWindow?: number;
  windowMs?: number;
  /** Retry-After sent for a request over the mailbox limit, in seconds (may be fractional when scaled). */
  concurrencyRetryAfterSeconds?: number;
}

/** The mailbox a subscription's resource counts against, by the emulator's own reading: users/{id}/... */
function mailboxOfResource(resource: string | undefined): string | undefined {
  const match = /^\/?users\/([^/]+)\//i.exec(resource ?? '');
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Graph's maximum lifetime per resource, in minutes, as Graph enforces it (a table of the emulator's
 * own, not the product's: a mistake in one must not hide in the other).
 */
function graphMaxMinutes(resource: string): number {
  const path = resource.toLowerCase().replace(/^\//, '');
  if (/presences?/.test(path)) return 60;
  if (/^(chats|teams)/.test(path)) return 4320;
  if (/drive|^sites\//.test(path)) return 42300;
  if (/^(users|groups)(\/[^/]+)?$/.test(path)) return 41760;
  return 4230; // Outlook messages, events, contacts, and what we do not model.
}

/**
 * Microsoft Graph's /v1.0/subscriptions over HTTPS on loopback: create, get, list (paged), update,
 * delete, with Graph's rules and error shapes, bearer tokens from the identity emulator, its own
 * clock, and injectable faults and latency.
 */
export class GraphEmulator {
  readonly subscriptions = new Map<string, EmulatedSubscription>();
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  /** Graph's clock; defaults to this process's (which tests may fake). */
  clock: () => Date = () => new Date();
  /**
   * Called with each authorized request before Graph serves it, and awaited: a test acts at an exact
   * point of a run (stop the table service at the k-th PATCH, change a row while its PATCH is in flight).
   * A function it returns runs once Graph has done the work, before the answer goes back.
   */
  onRequest: ((request: RecordedRequest) => void | (() => Promise<void>) | Promise<void | (() => Promise<void>)>) | undefined;
  latencyMs = 0;
  pageSize = 100;
  limits: GraphLimits = {};
  /** 429s the limits answered (faults not included). */
  throttled = 0;
  /** The most requests seen in flight at once for one mailbox, and overall. */
  peakMailboxInFlight = 0;
  peakInFlight = 0;
  private readonly inFlightPerMailbox = new Map<string, number>();
  /** Writes (PATCH, DELETE, reauthorize) in flight per subscription id: two at once is a client bug. */
  private readonly writesInFlight = new Map<string, number>();
  private inFlight = 0;
  /** When each recent write was accepted (monotonic ms), oldest first. */
  private readonly writeTimes: number[] = [];
  readonly applicationId = randomUUID();
  readonly tenantId = randomUUID();
  /** Validation requests and lifecycle notifications sent, in order. */
  readonly deliveries: Delivery[] = [];
  /** Breaches of Graph's rules by the client, e.g. a reauthorize and a PATCH within 10 minutes. */
  readonly violations: string[] = [];
  /** Graph waits this long for a validation answer (10 s); tests may shorten it. */
  validationTimeoutMs = 10_000;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly tokens: Map<string, IssuedToken>,
  ) {}

  static async start(options: { certPath: string; keyPath: string; tokens: Map<string, IssuedToken> }): Promise<GraphEmulator> {
    let emulator!: GraphEmulator;
    const server = createServer(
      { cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) },
      (request, response) => void emulator.handle(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    emulator = new GraphEmulator(server, `https://localhost:${port}`, options.tokens);
    return emulator;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.subscriptions.clear();
    this.requests.length = 0;
    this.faults.length = 0;
    this.deliveries.length = 0;
    this.violations.length = 0;
    this.validationTimeoutMs = 10_000;
    this.latencyMs = 0;
    this.pageSize = 100;
    this.clock = () => new Date();
    this.onRequest = undefined;
    this.limits = {};
    this.throttled = 0;
    this.peakMailboxInFlight = 0;
    this.peakInFlight = 0;
    this.inFlightPerMailbox.clear();
    this.writesInFlight.clear();
    this.inFlight = 0;
    this.writeTimes.length = 0;
  }

  /** A subscription that exists on Graph, as if created earlier. */
  add(subscription: Omit<EmulatedSubscription, 'applicationId' | 'changeType' | 'notificationUrl'> & Partial<EmulatedSubscription>): EmulatedSubscription {
    const stored: EmulatedSubscription = {
      changeType: 'created',
      notificationUrl: 'https://contoso.example/api/notifications',
      applicationId: this.applicationId,
      ...subscription,
    };
    this.subscriptions.set(stored.id, stored);
    return stored;
  }

  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** PATCH requests that reached the subscription logic (authorized, past any fault). */
  patches(id?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH' && r.authorized && (!id || r.path.endsWith(`/${id}`)));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJson(request);
    const url = new URL(request.url ?? '/', this.baseUrl);
    const method = request.method ?? 'GET';
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const issued = token ? this.tokens.get(token) : undefined;
    const authorized = Boolean(issued);
    const recorded: RecordedRequest = { method, path: url.pathname, body: body.value, at: this.clock(), authorized, token };
    this.requests.push(recorded);

    let beforeAnswer: (() => Promise<void>) | undefined;
    let answered: Promise<void> | undefined;
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      const wait = beforeAnswer;
      beforeAnswer = undefined;
      if (wait) {
        answered = wait().then(() => send(status, payload, headers));
        return;
      }
      const requestId = randomUUID();
      if (response.destroyed) return;
      response.writeHead(status, {
        // Graph's own clock, as its front door stamps every answer.
        Date: this.clock().toUTCString(),
        'request-id': requestId,
        'client-request-id': (request.headers['client-request-id'] as string) ?? requestId,
        ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      });
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { error: { code, message, innerError: { date: this.clock().toISOString().slice(0, 19), 'request-id': randomUUID() } } }, headers);

    if (!token) return error(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!issued || issued.expiresAt.getTime() <= Date.now()) {
      return error(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    }
    if (issued.resource.replace(/\/$/, '') !== this.baseUrl) {
      return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }

    const pathId = /^\/v1\.0\/subscriptions\/([^/]+)(?:\/reauthorize)?$/.exec(url.pathname)?.[1];
    const mailbox = mailboxOfResource(pathId ? this.subscriptions.get(decodeURIComponent(pathId))?.resource : (body.value as { resource?: string } | undefined)?.resource);
    const limited = this.overLimit(method, mailbox);
    if (limited) {
      this.throttled++;
      return error(429, 'TooManyRequests', limited.message, { 'Retry-After': String(limited.retryAfterSeconds) });
    }
    if (this.onRequest) beforeAnswer = (await this.onRequest(recorded)) ?? undefined;
    this.enter(mailbox);
    const written = pathId && method !== 'GET' ? decodeURIComponent(pathId) : undefined;
    if (written) {
      const count = (this.writesInFlight.get(written) ?? 0) + 1;
      this.writesInFlight.set(written, count);
      if (count > 1) this.violations.push(`${count} writes to ${written} in flight at once`);
    }
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      await this.serve(response, url, method, body, send, error);
      await answered;
    } finally {
      this.leave(mailbox);
      if (written) this.writesInFlight.set(written, this.writesInFlight.get(written)! - 1);
    }
  }

  /** Which of Graph's limits this request would break, if any, and how long Graph would ask to wait. */
  private overLimit(method: string, mailbox: string | undefined): { message: string; retryAfterSeconds: number } | undefined {
    const { mailboxConcurrency, writesPerWindow, windowMs = 20_000 } = this.limits;
    if (mailboxConcurrency !== undefined && mailbox !== undefined && (this.inFlightPerMailbox.get(mailbox) ?? 0) >= mailboxConcurrency) {
      return { message: 'Application is over its MailboxConcurrency limit.', retryAfterSeconds: this.limits.concurrencyRetryAfterSeconds ?? 1 };
    }
    if (writesPerWindow !== undefined && method !== 'GET') {
      const now = performance.now();
      while (this.writeTimes.length > 0 && this.writeTimes[0]! <= now - windowMs) this.writeTimes.shift();
      if (this.writeTimes.length >= writesPerWindow) {
        const wait = (this.writeTimes[0]! + windowMs - now) / 1000;
        return { message: 'Too many requests: subscription write limit reached for this application.', retryAfterSeconds: Math.ceil(wait * 1000) / 1000 };
      }
      this.writeTimes.push(now);
    }
    return undefined;
  }

  private enter(mailbox: string | undefined): void {
    this.peakInFlight = Math.max(this.peakInFlight, ++this.inFlight);
    if (mailbox === undefined) return;
    const count = (this.inFlightPerMailbox.get(mailbox) ?? 0) + 1;
    this.inFlightPerMailbox.set(mailbox, count);
    this.peakMailboxInFlight = Math.max(this.peakMailboxInFlight, count);
  }

  private leave(mailbox: string | undefined): void {
    this.inFlight--;
    if (mailbox !== undefined) this.inFlightPerMailbox.set(mailbox, this.inFlightPerMailbox.get(mailbox)! - 1);
  }

  /** Graph's subscription logic, past authentication and the limits. */
  private async serve(
    response: ServerResponse,
    url: URL,
    method: string,
    body: { value: unknown; invalid: boolean },
    send: (status: number, payload?: unknown, headers?: Record<string, string>) => void,
    error: (status: number, code: string, message: string, headers?: Record<string, string>) => void,
  ): Promise<void> {

    const match = /^\/v1\.0\/subscriptions(?:\/([^/]+))?(\/reauthorize)?$/.exec(url.pathname);
    if (!match) return error(400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/').pop()}'.`);
    const id = match[1] ? decodeURIComponent(match[1]) : undefined;

    const fault = this.faults.find((f) => (!f.method || f.method === method) && (!f.subscriptionId || f.subscriptionId === id) && f.times > 0);
    if (fault) {
      fault.times--;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (response.destroyed && !fault.completeAnyway) return;
      if (fault.reset) {
        response.socket?.destroy();
        return;
      }
      if (fault.status !== undefined) {
        return error(fault.status, fault.code ?? codeFor(fault.status), fault.message ?? 'Injected fault.', fault.headers);
      }
    }
    if (body.invalid) return error(400, 'BadRequest', 'Unable to read JSON request payload.');
    if (fault?.failAfterWork !== undefined) {
      const status = fault.failAfterWork;
      const answer = error;
      const failed = () => answer(status, codeFor(status), 'Injected fault after the work was done.');
      send = failed;
      error = failed;
    }

    if (method === 'GET' && !id) return this.list(url, send);
    if (!id) {
      if (method === 'POST') return await this.create(body.value, send, error);
      return error(405, 'Request_BadRequest', `Method ${method} is not allowed on subscriptions.`);
    }
    const subscription = this.subscriptions.get(id);
    // Graph deletes a subscription once it expires: from then on it is not found.
    const alive = subscription && subscription.expirationDateTime.getTime() > this.clock().getTime() ? subscription : undefined;
    if (!alive) return error(404, 'ResourceNotFound', 'The object was not found.');
    if (match[2]) {
      if (method !== 'POST') return error(405, 'Request_BadRequest', `Method ${method} is not allowed on reauthorize.`);
      this.checkTenMinuteRule(alive, 'reauthorize', alive.lastPatchAt);
      alive.lastReauthorizeAt = this.clock();
      return send(204);
    }
    if (method === 'GET') return send(200, this.view(alive));
    if (method === 'DELETE') {
      this.subscriptions.delete(id);
      return send(204);
    }
    if (method === 'PATCH') {
      const requested = (body.value as { expirationDateTime?: unknown } | undefined)?.expirationDateTime;
      if (typeof requested !== 'string') {
        return error(400, 'InvalidRequest', "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.");
      }
      const problem = this.checkExpiration(requested, alive.resource);
      if (problem) return error(400, problem.code, problem.message);
      this.checkTenMinuteRule(alive, 'PATCH', alive.lastReauthorizeAt);
      alive.expirationDateTime = new Date(requested);
      alive.lastPatchAt = this.clock();
      return send(200, this.view(alive));
    }
    return error(405, 'Request_BadRequest', `Method ${method} is not allowed on a subscription.`);
  }

  private async create(value: unknown, send: (s: number, p?: unknown) => void, error: (s: number, c: string, m: string) => void): Promise<void> {
    const input = (value ?? {}) as Record<string, unknown>;
    for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
      if (typeof input[field] !== 'string' || input[field] === '') {
        return error(400, 'InvalidRequest', `${field} is a required property for subscription creation.`);
      }
    }
    if (typeof input.clientState === 'string' && input.clientState.length > 128) {
      return error(400, 'InvalidRequest', 'clientState cannot be longer than 128 characters.');
    }
    const problem = this.checkExpiration(input.expirationDateTime as string, input.resource as string);
    if (problem) return error(400, problem.code, problem.message);
    for (const field of ['notificationUrl', 'lifecycleNotificationUrl']) {
      const target = input[field];
      if (target === undefined) continue;
      if (typeof target !== 'string' || !target.startsWith('https://')) {
        return error(400, 'InvalidRequest', `The ${field} must be an https URL.`);
      }
      // Graph validates each endpoint before it creates anything (notificationurl-validation.md).
      if (!(await this.validate(target))) {
        return error(400, 'ValidationError', 'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.');
      }
    }
    const created = this.add({
      id: randomUUID(),
      resource: input.resource as string,
      changeType: input.changeType as string,
      notificationUrl: input.notificationUrl as string,
      lifecycleNotificationUrl: input.lifecycleNotificationUrl as string | undefined,
      includeResourceData: input.includeResourceData as boolean | undefined,
      encryptionCertificateId: input.encryptionCertificateId as string | undefined,
      latestSupportedTlsVersion: (input.latestSupportedTlsVersion as string | undefined) ?? 'v1_2',
      expirationDateTime: new Date(input.expirationDateTime as string),
      clientState: input.clientState as string | undefined,
    });
    send(201, this.view(created));
  }

  /**
   * Graph's validation request: POST {url}?validationToken=... (text/plain); valid when the answer is
   * 200, text/plain, with the decoded token as body, within 10 s. The token is Graph's own wording,
   * spaces and colons included, so a handler that forgets to decode it fails.
   */
  private async validate(url: string): Promise<boolean> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()} <b>&'"</b>`;
    const target = new URL(url);
    // Tests never leave loopback: anything else fails validation without a request.
    if (!['localhost', '127.0.0.1', '[::1]'].includes(target.hostname)) {
      this.deliveries.push({ url, kind: 'validation', sentAt: new Date(), status: 0, body: '' });
      return false;
    }
    target.searchParams.set('validationToken', token);
    const sentAt = new Date();
    const answer = await this.post(target, '', 'text/plain; charset=utf-8');
    this.deliveries.push({ url, kind: 'validation', sentAt, status: answer.status, body: answer.body });
    return answer.status === 200 && /^text\/plain/i.test(answer.contentType) && answer.body === token;
  }

  /**
   * Sends a lifecycle notification for subscription `id` to its lifecycleNotificationUrl, as Graph
   * does; `subscriptionRemoved` first removes the subscription. Resolves with the endpoint's answer.
   */
  async sendLifecycle(
    id: string,
    lifecycleEvent: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed',
    options: { clientState?: string } = {},
  ): Promise<{ status: number; body: string }> {
    const subscription = this.subscriptions.get(id);
    if (!subscription?.lifecycleNotificationUrl) throw new Error(`Subscription ${id} has no lifecycleNotificationUrl.`);
    if (lifecycleEvent === 'subscriptionRemoved') this.subscriptions.delete(id);
    const payload = {
      value: [
        {
          subscriptionId: id,
          subscriptionExpirationDateTime: subscription.expirationDateTime.toISOString(),
          tenantId: this.tenantId,
          clientState: options.clientState ?? subscription.clientState ?? null,
          lifecycleEvent,
          ...(lifecycleEvent === 'missed' ? { resource: subscription.resource } : {}),
          organizationId: this.tenantId,
        },
      ],
    };
    const sentAt = new Date();
    const answer = await this.post(new URL(subscription.lifecycleNotificationUrl), JSON.stringify(payload), 'application/json; charset=utf-8');
    this.deliveries.push({ url: subscription.lifecycleNotificationUrl, kind: 'lifecycle', sentAt, subscriptionId: id, status: answer.status, body: answer.body });
    return answer;
  }

  private post(url: URL, body: string, contentType: string): Promise<{ status: number; contentType: string; body: string }> {
    return new Promise((resolve) => {
      const request = httpsRequest(
        url,
        { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }, timeout: this.validationTimeoutMs },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => resolve({ status: 0, contentType: '', body: '' }));
      request.end(body);
    });
  }

  /** Graph's lifecycle guidance: never a reauthorize and a PATCH for one subscription within 10 minutes. */
  private checkTenMinuteRule(subscription: EmulatedSubscription, now: 'PATCH' | 'reauthorize', otherAt: Date | undefined): void {
    if (otherAt && this.clock().getTime() - otherAt.getTime() < 10 * 60_000) {
      this.violations.push(`${now} of ${subscription.id} within 10 minutes of a ${now === 'PATCH' ? 'reauthorize' : 'PATCH'}`);
    }
  }

  private list(url: URL, send: (s: number, p?: unknown) => void): void {
    const now = this.clock().getTime();
    const all = [...this.subscriptions.values()].filter((s) => s.expirationDateTime.getTime() > now);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = all.slice(skip, skip + this.pageSize);
    const next = skip + this.pageSize < all.length ? `${this.baseUrl}/v1.0/subscriptions?$skiptoken=${skip + this.pageSize}` : undefined;
    send(200, {
      '@odata.context': `${this.baseUrl}/v1.0/$metadata#subscriptions`,
      value: page.map((s) => this.view(s)),
      ...(next ? { '@odata.nextLink': next } : {}),
    });
  }

  private checkExpiration(requested: string, resource: string): { code: string; message: string } | undefined {
    const at = Date.parse(requested);
    if (Number.isNaN(at)) return { code: 'InvalidRequest', message: `Cannot convert the literal '${requested}' to the expected type 'Edm.DateTimeOffset'.` };
    const now = this.clock().getTime();
    if (at <= now) return { code: 'InvalidRequest', message: 'Subscription expiration can only be in the future.' };
    const max = graphMaxMinutes(resource);
    if (at > now + max * 60_000) {
      return { code: 'ExtensionError', message: `Subscription expiration can only be ${max} minutes in the future.` };
    }
    return undefined;
  }

  /** A subscription as Graph returns it: clientState is never echoed. */
  private view(subscription: EmulatedSubscription) {
    return {
      '@odata.context': `${this.baseUrl}/v1.0/$metadata#subscriptions/$entity`,
      id: subscription.id,
      resource: subscription.resource,
      applicationId: subscription.applicationId,
      changeType: subscription.changeType,
      clientState: null,
      notificationUrl: subscription.notificationUrl,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
      includeResourceData: subscription.includeResourceData ?? null,
      encryptionCertificateId: subscription.encryptionCertificateId ?? null,
      expirationDateTime: subscription.expirationDateTime.toISOString().replace('.000Z', 'Z'),
      creatorId: subscription.applicationId,
      latestSupportedTlsVersion: subscription.latestSupportedTlsVersion ?? 'v1_2',
    };
  }
}

function codeFor(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'InvalidAuthenticationToken',
    403: 'Authorization_RequestDenied',
    404: 'ResourceNotFound',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout',
  };
  return codes[status] ?? 'UnknownError';
}

async function readJson(request: IncomingMessage): Promise<{ value: unknown; invalid: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return { value: undefined, invalid: false };
  try {
    return { value: JSON.parse(text), invalid: false };
  } catch {
    return { value: undefined, invalid: true };
  }
}
