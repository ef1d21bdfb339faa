import type { Client } from '@microsoft/microsoft-graph-client';
import { CredentialError, GraphRequestError } from '../renewal/errors';
import type { DefinitionChanges, GraphSubscription, NewSubscription, SubscriptionGraph } from '../renewal/ports';
import type { GraphTokens } from './credential';
import { type RetryOptions, withRetry } from './retry';
import { creationBody, readExpiration, type SubscriptionResource, toGraphSubscription } from './subscriptionResource';
import { ThrottleGate } from './throttle';
import type { WriteRateLimiter } from './writeRate';

export interface GraphSubscriptionsOptions extends RetryOptions {
  /** Per-request limit: a request that hangs ends as a retryable timeout. */
  timeoutMs: number;
  /** GET /subscriptions (the list) has a limit of its own: 25 per 20 s per app per tenant (graph/throttling-limits). */
  listRate?: Pick<WriteRateLimiter, 'acquire' | 'throttled'>;
}

/** Subscription operations on Graph (`/subscriptions`). */
export class GraphSubscriptions implements SubscriptionGraph {
  private readonly gate = new ThrottleGate();

  constructor(
    private readonly client: Client,
    private readonly tokens: GraphTokens,
    private readonly options: GraphSubscriptionsOptions,
  ) {}

  async ready(): Promise<void> {
    await this.tokens.get();
  }

  async renew(id: string, expiration: Date, deadline?: Date): Promise<{ expirationDateTime: Date }> {
    const body = await this.call<SubscriptionResource>(
      (signal) =>
        this.client
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .options({ signal })
          .patch({ expirationDateTime: expiration.toISOString() }),
      undefined,
      deadline,
    );
    return { expirationDateTime: readExpiration(body?.expirationDateTime) ?? expiration };
  }

  async update(
    id: string,
    changes: DefinitionChanges,
    expiration: Date,
    deadline?: Date,
  ): Promise<{ expirationDateTime: Date }> {
    const body = await this.call<SubscriptionResource>(
      (signal) =>
        this.client
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .options({ signal })
          .patch({ ...changes, expirationDateTime: expiration.toISOString() }),
      // A PATCH that timed out may have been applied: sending the same values again changes nothing.
      undefined,
      deadline,
    );
    const expirationDateTime = readExpiration(body?.expirationDateTime);
    if (!expirationDateTime)
      throw new GraphRequestError(0, 'UnexpectedResponse', 'Graph answered the update without an expiration.');
    return { expirationDateTime };
  }

  async create(subscription: NewSubscription, deadline?: Date): Promise<GraphSubscription> {
    const body = await this.call<SubscriptionResource>(
      (signal) => this.client.api('/subscriptions').options({ signal }).post(creationBody(subscription)),
      // Only a 429 is sure not to have created anything; after a timeout or a 5xx it may exist, and a
      // second POST would make a duplicate. The caller finds and adopts it on its next attempt instead.
      (error) => error.statusCode === 429,
      deadline,
    );
    const created = toGraphSubscription(body);
    if (!created)
      throw new GraphRequestError(0, 'UnexpectedResponse', 'Graph answered the creation without a subscription id.');
    return created;
  }

  async get(id: string): Promise<GraphSubscription | undefined> {
    try {
      const body = await this.call<SubscriptionResource>((signal) =>
        this.client
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .options({ signal })
          .get(),
      );
      return toGraphSubscription(body);
    } catch (error) {
      if (error instanceof GraphRequestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** GET /subscriptions, every page (`@odata.nextLink`): the subscriptions this app owns. */
  async *list(): AsyncIterable<GraphSubscription> {
    let next: string | undefined = '/subscriptions';
    while (next) {
      const path: string = next;
      const page = await this.call<{ value?: SubscriptionResource[]; '@odata.nextLink'?: string }>(
        (signal) => this.client.api(path).options({ signal }).get(),
        undefined,
        undefined,
        'list',
      );
      for (const item of page?.value ?? []) {
        const subscription = toGraphSubscription(item);
        if (subscription) yield subscription;
      }
      next = page?.['@odata.nextLink'];
    }
  }

  /** DELETE /subscriptions/{id}; 'notFound' when Graph no longer has it (nothing left to delete). */
  async remove(id: string): Promise<'deleted' | 'notFound'> {
    try {
      await this.call((signal) =>
        this.client
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .options({ signal })
          .delete(),
      );
      return 'deleted';
    } catch (error) {
      if (error instanceof GraphRequestError && error.statusCode === 404) return 'notFound';
      throw error;
    }
  }

  /**
   * One Graph call with the run's retry policy and throttle gate. A 401 is tried once more, with a new
   * token if the credential gives one: Graph refused the token (revoked, expired early). A managed
   * identity usually hands back the same cached token (@azure/identity offers no way to skip its
   * cache), so the error then says so rather than pretend a fresh token was refused.
   */
  private async call<T>(
    send: (signal: AbortSignal) => Promise<T>,
    retryable?: RetryOptions['retryable'],
    deadline?: Date,
    kind: 'write' | 'list' = 'write',
  ): Promise<T> {
    const end = deadline?.getTime();
    // Each request ends at the per-request timeout, or sooner when the deadline comes first.
    const timeout = () =>
      end === undefined ? this.options.timeoutMs : Math.max(1, Math.min(this.options.timeoutMs, end - Date.now()));
    const attempt = () =>
      withRetry(() => this.unwrap(() => send(AbortSignal.timeout(timeout()))), {
        ...this.options,
        // Each kind of request has its own documented limit, and a 429 on one slows that one only.
        writeRate: kind === 'list' ? this.options.listRate : this.options.writeRate,
        gate: this.gate,
        ...(retryable ? { retryable } : {}),
        ...(end === undefined ? {} : { deadline: end }),
      });
    // Fetch the token first: a credential problem is a CredentialError of its own, not a Graph failure.
    const refused = await this.tokens.get();
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof GraphRequestError && error.statusCode === 401)) throw error;
      this.tokens.invalidate();
      const fresh = (await this.tokens.get()) !== refused;
      try {
        return await attempt();
      } catch (again) {
        if (!(again instanceof GraphRequestError && again.statusCode === 401)) throw again;
        const note = fresh
          ? 'A freshly fetched token was refused too.'
          : 'The identity handed back the same token (managed-identity tokens are cached for up to 24 hours).';
        throw new GraphRequestError(
          401,
          again.code,
          `${again.message} ${note}`,
          again.retryAfter,
          again.requestId,
          again.serverTime,
        );
      }
    }
  }

  private async unwrap<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      // The client wraps what the token callback threw; unwrap ours so it is not taken for a network error.
      if ((error as { code?: string })?.code === 'CredentialError') throw new CredentialError((error as Error).message);
      throw error;
    }
  }
}
