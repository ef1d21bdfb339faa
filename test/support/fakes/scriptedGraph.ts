import { randomUUID } from 'node:crypto';
import type {
  DefinitionChanges,
  GraphSubscription,
  NewSubscription,
  SubscriptionGraph,
} from '../../../src/renewal/ports';
import { OPTIONAL_DEFINITION_FIELDS, type SubscriptionDefinition } from '../../../src/renewal/subscription';
import { graphError, notFound } from './graphAnswers';
import { ScriptedFailures } from './scriptedFailures';

type Method = keyof SubscriptionGraph;

/** A subscription as the fake Graph holds it; the client state is kept, never returned. */
export interface HeldSubscription extends GraphSubscription {
  clientState?: string;
}

/** One call the run made, in order. */
export interface GraphCall {
  method: Method;
  id?: string;
  expiration?: Date;
  deadline?: Date;
  changes?: DefinitionChanges;
}

/**
 * Graph's /subscriptions in memory, through the port the run uses (SubscriptionGraph): renew and update
 * (PATCH), create (POST), get, list and delete, with Graph's rules for an expiration (in the future,
 * within the resource's maximum, 45 minutes at least, an hour for Teams without a lifecycle URL), a 404
 * for an id it does not have (or that expired on its clock), a 409 naming the subscription that exists
 * for a resource and changeType, and its errors as the real adapter raises them (GraphRequestError).
 * A test scripts what a call ends with (`failNext`): one scripted answer is one port call, the real
 * adapter's retries inside a call (src/graph/retry.ts) included. Notification URLs are taken as valid.
 */
export class ScriptedGraph implements SubscriptionGraph {
  readonly subscriptions = new Map<string, HeldSubscription>();
  readonly calls: GraphCall[] = [];
  private readonly failures = new ScriptedFailures<Method>();
  /**
   * Called with each call as it arrives, before it is answered: what the test looks at while the call is
   * in flight (the row's lease during a PATCH). The call waits for it when it returns a promise.
   */
  inFlight: ((call: GraphCall) => void | Promise<void>) | undefined;
  /** Microsoft lowering a maximum: a number here replaces the table below for the resources it matches. */
  maximumOverride: ((resource: string, includeResourceData: boolean) => number | undefined) | undefined;

  /** `clock`: Graph's clock (it may differ from the app's). */
  constructor(public clock: () => Date = () => new Date()) {}

  /** A subscription Graph has, as if created earlier. */
  add(
    subscription: Pick<HeldSubscription, 'id' | 'resource' | 'expirationDateTime'> & Partial<HeldSubscription>,
  ): HeldSubscription {
    const held: HeldSubscription = {
      changeType: 'created',
      notificationUrl: 'https://contoso.example/api/notifications',
      ...subscription,
    };
    this.subscriptions.set(held.id, held);
    return held;
  }

  /** The next `times` calls of `method` (for subscription `id`, when given) fail with `error` (made when thrown). */
  failNext(method: Method, error: unknown, options: { id?: string; times?: number } = {}): void {
    this.failures.add(method, error, { key: options.id, times: options.times });
  }

  /** The calls of one method (about one id), for assertions. */
  callsOf(method: Method, id?: string): GraphCall[] {
    return this.calls.filter((call) => call.method === method && (id === undefined || call.id === id));
  }

  async ready(): Promise<void> {
    this.failures.throwIfScripted('ready');
  }

  async renew(id: string, expiration: Date, deadline?: Date): Promise<{ expirationDateTime: Date }> {
    await this.record({ method: 'renew', id, expiration, deadline });
    this.failures.throwIfScripted('renew', id);
    const held = this.alive(id);
    held.expirationDateTime = this.checkExpiration(expiration, held);
    return { expirationDateTime: held.expirationDateTime };
  }

  async update(
    id: string,
    changes: DefinitionChanges,
    expiration: Date,
    deadline?: Date,
  ): Promise<{ expirationDateTime: Date }> {
    await this.record({ method: 'update', id, expiration, deadline, changes });
    this.failures.throwIfScripted('update', id);
    const held = this.alive(id);
    held.expirationDateTime = this.checkExpiration(expiration, held);
    Object.assign(held, Object.fromEntries(Object.entries(changes).filter(([, value]) => typeof value === 'string')));
    return { expirationDateTime: held.expirationDateTime };
  }

  async create(subscription: NewSubscription, deadline?: Date): Promise<GraphSubscription> {
    await this.record({ method: 'create', expiration: subscription.expirationDateTime, deadline });
    this.failures.throwIfScripted('create');
    for (const field of ['changeType', 'notificationUrl', 'resource'] as const) {
      if (!subscription[field])
        throw graphError(
          400,
          'InvalidRequest',
          `${field} is a required property for subscription creation.`,
          this.clock(),
        );
    }
    const expirationDateTime = this.checkExpiration(subscription.expirationDateTime, subscription);
    const now = this.clock().getTime();
    const existing = [...this.subscriptions.values()].find(
      (other) =>
        other.expirationDateTime.getTime() > now &&
        sameResource(other.resource, subscription.resource) &&
        sameChanges(other.changeType, subscription.changeType),
    );
    // graph/api/subscription-post-subscriptions, "Duplicate subscription behavior".
    if (existing)
      throw graphError(
        409,
        'ExtensionError',
        `Subscription Id ${existing.id} already exists for the requested combination`,
        this.clock(),
      );
    const { expirationDateTime: _asked, ...definition } = subscription;
    const held = this.add({ latestSupportedTlsVersion: 'v1_2', ...definition, id: randomUUID(), expirationDateTime });
    return view(held);
  }

  async get(id: string): Promise<GraphSubscription | undefined> {
    await this.record({ method: 'get', id });
    this.failures.throwIfScripted('get', id);
    const held = this.subscriptions.get(id);
    return held && held.expirationDateTime.getTime() > this.clock().getTime() ? view(held) : undefined;
  }

  async *list(): AsyncIterable<GraphSubscription> {
    await this.record({ method: 'list' });
    this.failures.throwIfScripted('list');
    const now = this.clock().getTime();
    for (const held of [...this.subscriptions.values()]) if (held.expirationDateTime.getTime() > now) yield view(held);
  }

  async remove(id: string): Promise<'deleted' | 'notFound'> {
    await this.record({ method: 'remove', id });
    this.failures.throwIfScripted('remove', id);
    const held = this.subscriptions.get(id);
    this.subscriptions.delete(id);
    return held && held.expirationDateTime.getTime() > this.clock().getTime() ? 'deleted' : 'notFound';
  }

  private async record(call: GraphCall): Promise<void> {
    this.calls.push(call);
    await this.inFlight?.(call);
  }

  /** The subscription, unless Graph no longer has it: once expired, Graph has deleted it. */
  private alive(id: string): HeldSubscription {
    const held = this.subscriptions.get(id);
    if (!held || held.expirationDateTime.getTime() <= this.clock().getTime()) throw notFound(this.clock());
    return held;
  }

  /** Graph's rules for an expiration; returns the one Graph stores. */
  private checkExpiration(requested: Date, subject: SubscriptionDefinition): Date {
    const now = this.clock();
    const at = requested.getTime();
    if (at <= now.getTime())
      throw graphError(400, 'InvalidRequest', 'Subscription expiration can only be in the future.', now);
    const rich = subject.includeResourceData === true;
    const max = this.maximumOverride?.(subject.resource, rich) ?? graphMaxMinutes(subject.resource, rich);
    if (at > now.getTime() + max * 60_000)
      throw graphError(400, 'ExtensionError', `Subscription expiration can only be ${max} minutes in the future.`, now);
    if (
      /^\/?(chats|teams\/(?![^/]+\/schedule)|copilot)/i.test(subject.resource) &&
      !subject.lifecycleNotificationUrl &&
      at > now.getTime() + 3_600_000
    ) {
      throw graphError(
        400,
        'InvalidRequest',
        'lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.',
        now,
      );
    }
    return new Date(Math.max(at, now.getTime() + 45 * 60_000));
  }
}

/** Graph's maximum lifetime in minutes for the kinds the tests use (the fake's own table, like the emulator's). */
function graphMaxMinutes(resource: string, includeResourceData: boolean): number {
  const path = resource.toLowerCase().replace(/^\//, '');
  if (/presences?/.test(path)) return 60;
  if (/^(chats|teams|copilot)/.test(path)) return 4320;
  if (/^(me|users\/[^/]+)\/(messages|mailfolders|events|calendar|contacts)/.test(path))
    return includeResourceData ? 1440 : 10080;
  if (/drive|^sites\//.test(path)) return 42300;
  return 4230;
}

const sameResource = (a: string, b: string) =>
  a.replace(/^\//, '').toLowerCase() === b.replace(/^\//, '').toLowerCase();
const sameChanges = (a: string, b: string) => {
  const sorted = (value: string) =>
    value
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .sort()
      .join(',');
  return sorted(a) === sorted(b);
};

/** What the real adapter returns for a subscription (src/graph/subscriptions.ts): no client state, empty fields left out. */
function view(held: HeldSubscription): GraphSubscription {
  return {
    id: held.id,
    expirationDateTime: new Date(held.expirationDateTime),
    resource: held.resource,
    changeType: held.changeType,
    notificationUrl: held.notificationUrl,
    ...(typeof held.includeResourceData === 'boolean' ? { includeResourceData: held.includeResourceData } : {}),
    ...Object.fromEntries(
      OPTIONAL_DEFINITION_FIELDS.filter((field) => held[field]).map((field) => [field, held[field]]),
    ),
  };
}
