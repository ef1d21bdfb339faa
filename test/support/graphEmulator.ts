import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { IssuedToken } from './identityEmulator';

export interface EmulatedSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  includeResourceData?: boolean;
  encryptionCertificate?: string;
  encryptionCertificateId?: string;
  latestSupportedTlsVersion?: string;
  notificationQueryOptions?: string;
  notificationUrlAppId?: string;
  blobStoreUrl?: string;
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
 * Graph's throttling limits (https://learn.microsoft.com/graph/throttling-limits), off unless set. Times can be scaled
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
  /** GET /subscriptions (the list) per app per tenant in any sliding `windowMs` (25 per 20 s). */
  listsPerWindow?: number;
}

/**
 * Graph's limits on one app across all tenants (the app-wide share of subscription writes and lists),
 * off unless set; a request over them is answered 429 whatever its tenant's own limits say.
 */
export interface AppLimits {
  /** Subscription writes (POST, PATCH, DELETE) per app across all tenants in any sliding `windowMs`. */
  writesPerWindow?: number;
  /** GET /subscriptions per app across all tenants in any sliding `windowMs`. */
  listsPerWindow?: number;
  windowMs?: number;
}

/** Graph's documented subscription limits per app per tenant (graph/throttling-limits): what `limits` takes to follow them. */
export const DOCUMENTED_LIMITS: Required<
  Pick<GraphLimits, 'mailboxConcurrency' | 'writesPerWindow' | 'windowMs' | 'listsPerWindow'>
> = {
  mailboxConcurrency: 4,
  writesPerWindow: 500,
  windowMs: 20_000,
  listsPerWindow: 25,
};

/** The mailbox a subscription's resource counts against, by the emulator's own reading: users/{id}/... */
function mailboxOfResource(resource: string | undefined): string | undefined {
  const match = /^\/?users\/([^/]+)\//i.exec(resource ?? '');
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Graph's maximum lifetime per resource, in minutes, as Graph enforces it (a table of the emulator's
 * own, not the product's: a mistake in one must not hide in the other). Outlook with resource data
 * lives 1,440 minutes.
 */
function graphMaxMinutes(resource: string, includeResourceData: boolean): number {
  const path = resource.toLowerCase().replace(/^\//, '').replace(/\?.*$/, '');
  if (/presences?/.test(path)) return 60;
  if (/^teams\/[^/]+\/schedule/.test(path)) return 360;
  if (/^(chats|teams|copilot)/.test(path)) return 4320;
  if (/^(me|users\/[^/]+)\/(messages|mailfolders|events|calendar|contacts)/.test(path))
    return includeResourceData ? 1440 : 10080;
  if (/drive|^sites\//.test(path)) return 42300;
  if (/^(users|groups)(\/[^/]+)?$/.test(path)) return 41760;
  if (/^security\/alerts/.test(path)) return 43200;
  return 4230; // group conversations, call records, print, to do, and what we do not model.
}

/** Teams and Copilot resources refuse more than an hour without a lifecycle URL (graph/teams-changenotifications-*). */
function needsLifecycleBeyondHour(resource: string): boolean {
  return /^\/?(chats|teams\/(?![^/]+\/schedule)|copilot)/i.test(resource);
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
  onRequest:
    ((request: RecordedRequest) => void | (() => Promise<void>) | Promise<void | (() => Promise<void>)>) | undefined;
  latencyMs = 0;
  pageSize = 100;
  limits: GraphLimits = {};
  /** 429s the limits answered (faults not included), and of them those for a mailbox's concurrency. */
  throttled = 0;
  mailboxThrottled = 0;
  /** The most requests seen in flight at once for one mailbox, and overall. */
  peakMailboxInFlight = 0;
  peakInFlight = 0;
  private readonly inFlightPerMailbox = new Map<string, number>();
  /** Writes (PATCH, DELETE, reauthorize) in flight per subscription id: two at once is a client bug. */
  private readonly writesInFlight = new Map<string, number>();
  private inFlight = 0;
  /** When each recent write was accepted (monotonic ms), oldest first. */
  private readonly writeTimes: number[] = [];
  readonly applicationId: string;
  /** Validation requests and lifecycle notifications sent, in order. */
  readonly deliveries: Delivery[] = [];
  /**
   * Breaches of Graph's rules by the client, e.g. a reauthorize and a PATCH within 10 minutes; on the
   * home emulator also every tenant's cross-tenant breach (a subscription reached with another tenant's token).
   */
  readonly violations: string[] = [];
  /** Graph waits this long for a validation answer (10 s); tests may shorten it. */
  validationTimeoutMs = 10_000;
  /** Microsoft changing a maximum: a number here replaces the emulator's own table for the resources it matches. */
  maximumOverride: ((resource: string, includeResourceData: boolean) => number | undefined) | undefined;
  /** Graph refuses a second subscription of one app for the same resource and changeType (409). */
  conflictOnDuplicate = true;
  /** Lists answered (GET /subscriptions pages), for tests of the list limit. */
  listRequests = 0;
  /** When each recent list was accepted (monotonic ms). */
  private readonly listTimes: number[] = [];
  /** Limits on the app across all tenants; read on the home emulator only. */
  appLimits: AppLimits = {};
  /** 429s the app-wide limits answered, whatever the tenant (counted on the home emulator). */
  appThrottled = 0;
  private readonly appWriteTimes: number[] = [];
  private readonly appListTimes: number[] = [];
  /** The other tenants' Graphs (home only), by tenant id. */
  private readonly tenantGraphs = new Map<string, GraphEmulator>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
    private readonly tokens: Map<string, IssuedToken>,
    /** The tenant whose Graph this is; on the home emulator, the home tenant (the managed identity's). */
    readonly tenantId: string,
    /** The emulator that owns the server and routes to this one; undefined on the home emulator itself. */
    private readonly home?: GraphEmulator,
  ) {
    // One app everywhere: its subscriptions carry the same application id in every tenant.
    this.applicationId = home?.applicationId ?? randomUUID();
  }

  /** `tenantId`: the home tenant's id (the identity emulator's), so tokens without a tenant land here. */
  static async start(options: {
    certPath: string;
    keyPath: string;
    tokens: Map<string, IssuedToken>;
    tenantId?: string;
  }): Promise<GraphEmulator> {
    let emulator!: GraphEmulator;
    const server = createServer(
      { cert: readFileSync(options.certPath), key: readFileSync(options.keyPath) },
      (request, response) => void emulator.receive(request, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    emulator = new GraphEmulator(server, `https://localhost:${port}`, options.tokens, options.tenantId ?? randomUUID());
    return emulator;
  }

  /**
   * Tenant `tenantId`'s Graph, made on first call: subscriptions, requests, faults and limits of its
   * own, on the same server and base URL. Requests reach it when their token is for that tenant.
   */
  tenant(tenantId: string): GraphEmulator {
    if (this.home) return this.home.tenant(tenantId);
    if (tenantId === this.tenantId) return this;
    let graph = this.tenantGraphs.get(tenantId);
    if (!graph) {
      graph = new GraphEmulator(this.server, this.baseUrl, this.tokens, tenantId, this);
      this.tenantGraphs.set(tenantId, graph);
    }
    return graph;
  }

  /** The server is the home emulator's: a tenant's Graph stops with it. */
  stop(): Promise<void> {
    if (this.home) return Promise.resolve();
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
    this.maximumOverride = undefined;
    this.conflictOnDuplicate = true;
    this.listRequests = 0;
    this.listTimes.length = 0;
    this.latencyMs = 0;
    this.pageSize = 100;
    this.clock = () => new Date();
    this.onRequest = undefined;
    this.limits = {};
    this.throttled = 0;
    this.mailboxThrottled = 0;
    this.peakMailboxInFlight = 0;
    this.peakInFlight = 0;
    this.inFlightPerMailbox.clear();
    this.writesInFlight.clear();
    this.inFlight = 0;
    this.writeTimes.length = 0;
    if (!this.home) {
      this.tenantGraphs.clear();
      this.appLimits = {};
      this.appThrottled = 0;
      this.appWriteTimes.length = 0;
      this.appListTimes.length = 0;
    }
  }

  /** A subscription that exists on Graph, as if created earlier. */
  add(
    subscription: Omit<EmulatedSubscription, 'applicationId' | 'changeType' | 'notificationUrl'> &
      Partial<EmulatedSubscription>,
  ): EmulatedSubscription {
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

  /** The server's entry point (home only): each request goes to the Graph of its token's tenant. */
  private async receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJson(request);
    const tenantId = this.tokens.get(bearerToken(request) ?? '')?.tenantId;
    if (tenantId === undefined || tenantId === this.tenantId) return this.handle(request, response, body);
    const graph = this.tenantGraphs.get(tenantId);
    // A token for a tenant with no Graph of its own: the home emulator records the request and answers 401.
    if (!graph) return this.handle(request, response, body, tenantId);
    return graph.handle(request, response, body);
  }

  private async handle(
    request: IncomingMessage,
    response: ServerResponse,
    body: { value: unknown; invalid: boolean },
    unknownTenant?: string,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const method = request.method ?? 'GET';
    const token = bearerToken(request);
    const issued = token ? this.tokens.get(token) : undefined;
    const authorized = Boolean(issued) && unknownTenant === undefined;
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      body: body.value,
      at: this.clock(),
      authorized,
      token,
    };
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
        'client-request-id': request.headers['client-request-id'] ?? requestId,
        ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      });
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(
        status,
        {
          error: {
            code,
            message,
            innerError: { date: this.clock().toISOString().slice(0, 19), 'request-id': randomUUID() },
          },
        },
        headers,
      );

    if (!token) return error(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (!issued || issued.expiresAt.getTime() <= Date.now()) {
      return error(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    }
    if (issued.resource.replace(/\/$/, '') !== this.baseUrl) {
      return error(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    if (unknownTenant !== undefined) {
      return error(
        401,
        'InvalidAuthenticationToken',
        `Access token validation failure. The token's tenant ${unknownTenant} has no Graph in the emulator (graph.tenant(id) makes one).`,
      );
    }

    const pathId = /^\/v1\.0\/subscriptions\/([^/]+)(?:\/reauthorize)?$/.exec(url.pathname)?.[1];
    const mailbox = mailboxOfResource(
      pathId
        ? this.subscriptions.get(decodeURIComponent(pathId))?.resource
        : (body.value as { resource?: string } | undefined)?.resource,
    );
    const isList = !pathId && /^\/v1\.0\/subscriptions$/.test(url.pathname);
    // The app-wide window is checked first but counts the request only once its tenant's limits let it through.
    const appHome = this.home ?? this;
    const appWindow = appHome.appWindow(method, isList);
    const appLimited =
      appWindow && slidingWindow(appWindow.times, appWindow.limit, appWindow.windowMs, appWindow.kind, false);
    if (appLimited) {
      appHome.appThrottled++;
      return error(429, 'TooManyRequests', appLimited.message, {
        'Retry-After': String(appLimited.retryAfterSeconds),
      });
    }
    const limited = this.overLimit(method, mailbox, isList);
    if (limited) {
      this.throttled++;
      if (limited.message.includes('MailboxConcurrency')) this.mailboxThrottled++;
      return error(429, 'TooManyRequests', limited.message, { 'Retry-After': String(limited.retryAfterSeconds) });
    }
    appWindow?.times.push(performance.now());
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
  private overLimit(
    method: string,
    mailbox: string | undefined,
    isList: boolean,
  ): { message: string; retryAfterSeconds: number } | undefined {
    const { mailboxConcurrency, writesPerWindow, listsPerWindow, windowMs = 20_000 } = this.limits;
    if (
      mailboxConcurrency !== undefined &&
      mailbox !== undefined &&
      (this.inFlightPerMailbox.get(mailbox) ?? 0) >= mailboxConcurrency
    ) {
      return {
        message: 'Application is over its MailboxConcurrency limit.',
        retryAfterSeconds: this.limits.concurrencyRetryAfterSeconds ?? 1,
      };
    }
    if (writesPerWindow !== undefined && method !== 'GET')
      return slidingWindow(this.writeTimes, writesPerWindow, windowMs, 'write');
    if (listsPerWindow !== undefined && method === 'GET' && isList)
      return slidingWindow(this.listTimes, listsPerWindow, windowMs, 'list');
    return undefined;
  }

  /** The app-wide sliding window a request counts in (home only), if its limit is set. */
  private appWindow(
    method: string,
    isList: boolean,
  ): { times: number[]; limit: number; windowMs: number; kind: 'write' | 'list' } | undefined {
    const { writesPerWindow, listsPerWindow, windowMs = 20_000 } = this.appLimits;
    if (writesPerWindow !== undefined && method !== 'GET')
      return { times: this.appWriteTimes, limit: writesPerWindow, windowMs, kind: 'write' };
    if (listsPerWindow !== undefined && method === 'GET' && isList)
      return { times: this.appListTimes, limit: listsPerWindow, windowMs, kind: 'list' };
    return undefined;
  }

  /**
   * Graph looks a subscription up in the token's tenant only; one that lives in another tenant is a
   * client bug (a row renewed with the wrong tenant's token), recorded here and on the home emulator.
   */
  private noteOtherTenant(id: string): void {
    const appHome = this.home ?? this;
    for (const graph of [appHome, ...appHome.tenantGraphs.values()]) {
      if (graph === this || !graph.subscriptions.has(id)) continue;
      const breach = `subscription ${id} of tenant ${graph.tenantId} reached with a token of tenant ${this.tenantId}`;
      this.violations.push(breach);
      if (appHome !== this) appHome.violations.push(breach);
    }
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
    if (!match)
      return error(400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/').pop()}'.`);
    const id = match[1] ? decodeURIComponent(match[1]) : undefined;

    const fault = this.faults.find(
      (f) => (!f.method || f.method === method) && (!f.subscriptionId || f.subscriptionId === id) && f.times > 0,
    );
    if (fault) {
      fault.times--;
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (response.destroyed && !fault.completeAnyway) return;
      if (fault.reset) {
        response.socket?.destroy();
        return;
      }
      if (fault.status !== undefined) {
        return error(
          fault.status,
          fault.code ?? codeFor(fault.status),
          fault.message ?? 'Injected fault.',
          fault.headers,
        );
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
    const alive =
      subscription && subscription.expirationDateTime.getTime() > this.clock().getTime() ? subscription : undefined;
    if (!alive) {
      this.noteOtherTenant(id);
      return error(404, 'ResourceNotFound', 'The object was not found.');
    }
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
    if (method === 'PATCH') return await this.update(alive, body.value, send, error);
    return error(405, 'Request_BadRequest', `Method ${method} is not allowed on a subscription.`);
  }

  /** PATCH: a new expiration (a renewal) and/or a new notificationUrl or encryption certificate (subscription-update). */
  private async update(
    alive: EmulatedSubscription,
    value: unknown,
    send: (s: number, p?: unknown) => void,
    error: (s: number, c: string, m: string) => void,
  ): Promise<void> {
    const input = (value ?? {}) as Record<string, unknown>;
    const requested = input.expirationDateTime;
    if (typeof requested !== 'string' && typeof input.notificationUrl !== 'string') {
      return error(
        400,
        'InvalidRequest',
        "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.",
      );
    }
    let expiration = alive.expirationDateTime;
    if (typeof requested === 'string') {
      const checked = this.checkExpiration(requested, { ...alive });
      if ('code' in checked) return error(400, checked.code, checked.message);
      expiration = checked.expiration;
    }
    if ((input.encryptionCertificate === undefined) !== (input.encryptionCertificateId === undefined)) {
      return error(
        400,
        'InvalidRequest',
        'encryptionCertificate and encryptionCertificateId must be changed together.',
      );
    }
    if (typeof input.notificationUrl === 'string') {
      const problem = await this.checkDelivery('notificationUrl', input.notificationUrl);
      if (problem) return error(400, problem.code, problem.message);
    }
    this.checkTenMinuteRule(alive, 'PATCH', alive.lastReauthorizeAt);
    this.checkEventGridAhead(alive, expiration);
    alive.expirationDateTime = expiration;
    if (typeof input.notificationUrl === 'string') alive.notificationUrl = input.notificationUrl;
    if (typeof input.encryptionCertificate === 'string') alive.encryptionCertificate = input.encryptionCertificate;
    if (typeof input.encryptionCertificateId === 'string')
      alive.encryptionCertificateId = input.encryptionCertificateId;
    alive.lastPatchAt = this.clock();
    send(200, this.view(alive));
  }

  private async create(
    value: unknown,
    send: (s: number, p?: unknown) => void,
    error: (s: number, c: string, m: string) => void,
  ): Promise<void> {
    const input = (value ?? {}) as Record<string, unknown>;
    for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
      if (typeof input[field] !== 'string' || input[field] === '') {
        return error(400, 'InvalidRequest', `${field} is a required property for subscription creation.`);
      }
    }
    if (typeof input.clientState === 'string' && input.clientState.length > 128) {
      return error(400, 'InvalidRequest', 'clientState cannot be longer than 128 characters.');
    }
    const subject = {
      resource: input.resource as string,
      includeResourceData: input.includeResourceData === true,
      lifecycleNotificationUrl: input.lifecycleNotificationUrl as string | undefined,
      notificationUrl: input.notificationUrl as string,
    };
    // Resource data is encrypted with the app's certificate: both fields or no subscription (change-notifications-with-resource-data).
    if (
      subject.includeResourceData &&
      (typeof input.encryptionCertificate !== 'string' || typeof input.encryptionCertificateId !== 'string')
    ) {
      return error(
        400,
        'InvalidRequest',
        'encryptionCertificate and encryptionCertificateId are required when includeResourceData is true.',
      );
    }
    const checked = this.checkExpiration(input.expirationDateTime as string, subject);
    if ('code' in checked) return error(400, checked.code, checked.message);
    if (this.conflictOnDuplicate) {
      const same = (a: string, b: string) => a.replace(/^\//, '').toLowerCase() === b.replace(/^\//, '').toLowerCase();
      const changes = (value: string) =>
        value
          .split(',')
          .map((part) => part.trim().toLowerCase())
          .sort()
          .join(',');
      const now = this.clock().getTime();
      const existing = [...this.subscriptions.values()].find(
        (other) =>
          other.expirationDateTime.getTime() > now &&
          same(other.resource, subject.resource) &&
          changes(other.changeType) === changes(input.changeType as string),
      );
      // graph/api/subscription-post-subscriptions, "Duplicate subscription behavior".
      if (existing)
        return error(
          409,
          'ExtensionError',
          `Subscription Id ${existing.id} already exists for the requested combination`,
        );
    }
    for (const field of ['notificationUrl', 'lifecycleNotificationUrl']) {
      const target = input[field];
      if (target === undefined) continue;
      const problem = await this.checkDelivery(field, target);
      if (problem) return error(400, problem.code, problem.message);
    }
    const created = this.add({
      id: randomUUID(),
      resource: subject.resource,
      changeType: input.changeType as string,
      notificationUrl: subject.notificationUrl,
      lifecycleNotificationUrl: subject.lifecycleNotificationUrl,
      includeResourceData: input.includeResourceData as boolean | undefined,
      encryptionCertificate: input.encryptionCertificate as string | undefined,
      encryptionCertificateId: input.encryptionCertificateId as string | undefined,
      latestSupportedTlsVersion: (input.latestSupportedTlsVersion as string | undefined) ?? 'v1_2',
      notificationQueryOptions: input.notificationQueryOptions as string | undefined,
      notificationUrlAppId: input.notificationUrlAppId as string | undefined,
      blobStoreUrl: input.blobStoreUrl as string | undefined,
      expirationDateTime: checked.expiration,
      clientState: input.clientState as string | undefined,
    });
    this.checkEventGridAhead(created, created.expirationDateTime);
    send(201, this.view(created));
  }

  /**
   * A notification or lifecycle URL as Graph takes it: an https webhook, validated before anything is
   * created or changed (notificationurl-validation.md); an Event Hub (Key Vault secret or namespace,
   * with ?tenantId=) or an Event Grid partner topic, which get no validation request.
   */
  private async checkDelivery(field: string, target: unknown): Promise<{ code: string; message: string } | undefined> {
    if (
      typeof target === 'string' &&
      /^EventHub:https:\/\/[^/]+\.(vault\.azure\.net\/secrets|servicebus\.windows\.net\/eventhubname)\/[^/?]+\?tenantId=[^&]+$/.test(
        target,
      )
    ) {
      return undefined;
    }
    if (typeof target === 'string' && /^EventGrid:\?/.test(target)) {
      const parameters = new URLSearchParams(target.slice('EventGrid:?'.length));
      const missing = ['azuresubscriptionid', 'resourcegroup', 'partnertopic', 'location'].filter(
        (name) => !parameters.get(name),
      );
      return missing.length === 0
        ? undefined
        : { code: 'InvalidRequest', message: `The ${field} is missing ${missing.join(', ')}.` };
    }
    if (typeof target !== 'string' || !target.startsWith('https://')) {
      return { code: 'InvalidRequest', message: `The ${field} must be an https URL.` };
    }
    if (!(await this.validate(target))) {
      return {
        code: 'ValidationError',
        message:
          'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      };
    }
    return undefined;
  }

  /** Event Grid: a renewal less than 3 hours ahead brings reauthorizationRequired events at once (subscribe-to-graph-api-events). */
  private checkEventGridAhead(subscription: EmulatedSubscription, expiration: Date): void {
    if (
      subscription.notificationUrl.startsWith('EventGrid:') &&
      expiration.getTime() - this.clock().getTime() < 3 * 3_600_000
    ) {
      this.violations.push(
        `Event Grid subscription ${subscription.id} set to expire less than 3 hours ahead (${expiration.toISOString()})`,
      );
    }
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
    const answer = await this.post(
      new URL(subscription.lifecycleNotificationUrl),
      JSON.stringify(payload),
      'application/json; charset=utf-8',
    );
    this.deliveries.push({
      url: subscription.lifecycleNotificationUrl,
      kind: 'lifecycle',
      sentAt,
      subscriptionId: id,
      status: answer.status,
      body: answer.body,
    });
    return answer;
  }

  private post(
    url: URL,
    body: string,
    contentType: string,
  ): Promise<{ status: number; contentType: string; body: string }> {
    return new Promise((resolve) => {
      const request = httpsRequest(
        url,
        {
          method: 'POST',
          headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) },
          timeout: this.validationTimeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: String(response.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', () => resolve({ status: 0, contentType: '', body: '' }));
      request.end(body);
    });
  }

  /** Graph's lifecycle guidance: never a reauthorize and a PATCH for one subscription within 10 minutes. */
  private checkTenMinuteRule(
    subscription: EmulatedSubscription,
    now: 'PATCH' | 'reauthorize',
    otherAt: Date | undefined,
  ): void {
    if (otherAt && this.clock().getTime() - otherAt.getTime() < 10 * 60_000) {
      this.violations.push(
        `${now} of ${subscription.id} within 10 minutes of a ${now === 'PATCH' ? 'reauthorize' : 'PATCH'}`,
      );
    }
  }

  private list(url: URL, send: (s: number, p?: unknown) => void): void {
    this.listRequests++;
    const now = this.clock().getTime();
    const all = [...this.subscriptions.values()].filter((s) => s.expirationDateTime.getTime() > now);
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = all.slice(skip, skip + this.pageSize);
    const next =
      skip + this.pageSize < all.length
        ? `${this.baseUrl}/v1.0/subscriptions?$skiptoken=${skip + this.pageSize}`
        : undefined;
    send(200, {
      '@odata.context': `${this.baseUrl}/v1.0/$metadata#subscriptions`,
      value: page.map((s) => this.view(s)),
      ...(next ? { '@odata.nextLink': next } : {}),
    });
  }

  /**
   * Graph's rules for an expiration: in the future, within the resource's maximum (with resource data
   * for Outlook: 1,440 minutes), at most an hour for Teams and Copilot without a lifecycle URL, and
   * under 45 minutes from now set to 45 minutes. Returns the expiration Graph stores.
   */
  private checkExpiration(
    requested: string,
    subject: { resource: string; includeResourceData?: boolean; lifecycleNotificationUrl?: string },
  ): { code: string; message: string } | { expiration: Date } {
    const at = Date.parse(requested);
    if (Number.isNaN(at))
      return {
        code: 'InvalidRequest',
        message: `Cannot convert the literal '${requested}' to the expected type 'Edm.DateTimeOffset'.`,
      };
    const now = this.clock().getTime();
    if (at <= now) return { code: 'InvalidRequest', message: 'Subscription expiration can only be in the future.' };
    const rich = subject.includeResourceData === true;
    const max = this.maximumOverride?.(subject.resource, rich) ?? graphMaxMinutes(subject.resource, rich);
    if (at > now + max * 60_000) {
      return { code: 'ExtensionError', message: `Subscription expiration can only be ${max} minutes in the future.` };
    }
    if (needsLifecycleBeyondHour(subject.resource) && !subject.lifecycleNotificationUrl && at > now + 60 * 60_000) {
      return {
        code: 'InvalidRequest',
        message:
          'lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.',
      };
    }
    return { expiration: new Date(Math.max(at, now + 45 * 60_000)) };
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
      encryptionCertificate: subscription.encryptionCertificate ?? null,
      encryptionCertificateId: subscription.encryptionCertificateId ?? null,
      notificationQueryOptions: subscription.notificationQueryOptions ?? null,
      notificationUrlAppId: subscription.notificationUrlAppId ?? null,
      blobStoreUrl: subscription.blobStoreUrl ?? null,
      expirationDateTime: subscription.expirationDateTime.toISOString().replace('.000Z', 'Z'),
      creatorId: subscription.applicationId,
      latestSupportedTlsVersion: subscription.latestSupportedTlsVersion ?? 'v1_2',
    };
  }
}

/**
 * One more request in a sliding window of `windowMs` that allows `limit`: undefined when it fits (and
 * it is counted, unless `count` is false), otherwise Graph's 429 with the time until the window has room.
 */
function slidingWindow(
  times: number[],
  limit: number,
  windowMs: number,
  kind: 'write' | 'list',
  count = true,
): { message: string; retryAfterSeconds: number } | undefined {
  const now = performance.now();
  while (times.length > 0 && times[0]! <= now - windowMs) times.shift();
  if (times.length >= limit) {
    const wait = (times[0]! + windowMs - now) / 1000;
    return {
      message: `Too many requests: subscription ${kind} limit reached for this application.`,
      retryAfterSeconds: Math.ceil(wait * 1000) / 1000,
    };
  }
  if (count) times.push(now);
  return undefined;
}

function bearerToken(request: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
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
