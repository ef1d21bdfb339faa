import type { Client } from '@microsoft/microsoft-graph-client';
import type { SubscriptionRenewer } from '../renewal/ports';
import type { GraphTokens } from './credential';
import { CredentialError, GraphRequestError } from './errors';
import { withRetry, type RetryOptions } from './retry';
import { ThrottleGate } from './throttle';

export interface GraphSubscriptionsOptions extends RetryOptions {
  /** Per-request limit: a request that hangs ends as a retryable timeout. */
  timeoutMs: number;
}

/** Subscription operations on Graph (`/subscriptions`). */
export class GraphSubscriptions implements SubscriptionRenewer {
  private readonly gate = new ThrottleGate();

  constructor(
    private readonly client: Client,
    private readonly tokens: GraphTokens,
    private readonly options: GraphSubscriptionsOptions,
  ) {}

  async renew(id: string, expiration: Date): Promise<{ expirationDateTime: Date }> {
    // Fetch the token first: a credential problem is a CredentialError of its own, not a Graph failure.
    await this.tokens.get();
    const patch = () =>
      withRetry(
        () => this.send(`/subscriptions/${encodeURIComponent(id)}`, { expirationDateTime: expiration.toISOString() }),
        { ...this.options, gate: this.gate },
      );
    let body: { expirationDateTime?: string };
    try {
      body = await patch();
    } catch (error) {
      if (!(error instanceof GraphRequestError && error.statusCode === 401)) throw error;
      // Graph refused the token (revoked, or issued before a permission change): get a new one, once.
      this.tokens.invalidate();
      await this.tokens.get();
      body = await patch();
    }
    const stored = body?.expirationDateTime ? new Date(body.expirationDateTime) : expiration;
    return { expirationDateTime: Number.isNaN(stored.getTime()) ? expiration : stored };
  }

  private async send(path: string, payload: unknown): Promise<{ expirationDateTime?: string }> {
    try {
      return await this.client.api(path).options({ signal: AbortSignal.timeout(this.options.timeoutMs) }).patch(payload);
    } catch (error) {
      // The client wraps what the token callback threw; unwrap ours so it is not taken for a network error.
      if ((error as { code?: string })?.code === 'CredentialError') throw new CredentialError((error as Error).message);
      throw error;
    }
  }
}
