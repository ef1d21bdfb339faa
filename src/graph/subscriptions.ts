import type { Client } from '@microsoft/microsoft-graph-client';
import type { SubscriptionRenewer } from '../renewal/ports';
import type { GraphTokens } from './credential';
import { withRetry, type RetryOptions } from './retry';

export interface GraphSubscriptionsOptions extends RetryOptions {
  /** Per-request limit: a request that hangs ends as a retryable timeout. */
  timeoutMs: number;
}

/** Subscription operations on Graph (`/subscriptions`). */
export class GraphSubscriptions implements SubscriptionRenewer {
  constructor(
    private readonly client: Client,
    private readonly tokens: GraphTokens,
    private readonly options: GraphSubscriptionsOptions,
  ) {}

  async renew(id: string, expiration: Date): Promise<{ expirationDateTime: Date }> {
    // Fetch the token first: a credential problem is a CredentialError of its own, not a Graph failure.
    await this.tokens.get();
    const body = await withRetry(
      () =>
        this.client
          .api(`/subscriptions/${encodeURIComponent(id)}`)
          .options({ signal: AbortSignal.timeout(this.options.timeoutMs) })
          .patch({ expirationDateTime: expiration.toISOString() }) as Promise<{ expirationDateTime?: string }>,
      this.options,
    );
    const stored = body?.expirationDateTime ? new Date(body.expirationDateTime) : expiration;
    return { expirationDateTime: Number.isNaN(stored.getTime()) ? expiration : stored };
  }
}
