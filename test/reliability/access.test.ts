import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { sameSecret } from '../../src/lib/sameSecret';
import { settled } from '../../src/lifecycle/backlog';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { httpsPost } from '../support/httpsPost';
import { scenario } from '../support/reliability/invariants';
import { useHarness } from '../support/useHarness';
import { FORGED_CLIENT_STATES } from './forgedClientStates';

// What the Functions host is told, captured as each function file registers itself (in test mode the
// library would skip it): hoisted above the imports, so the harness's own imports are seen too.
const registered = vi.hoisted(() => ({
  http: new Map<string, Record<string, unknown>>(),
  triggers: new Map<string, string>(),
}));
vi.mock('@azure/functions', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@azure/functions')>();
  const trigger = (kind: string) => (name: string) => void registered.triggers.set(name, kind);
  return {
    ...actual,
    app: {
      ...actual.app,
      http: (name: string, options: Record<string, unknown>) => void registered.http.set(name, options),
      timer: trigger('timer'),
      storageQueue: trigger('storageQueue'),
    },
  };
});
// Passed through, and watched: the comparison must go through timingSafeEqual.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const harness = useHarness();

describe('what each function is registered with', () => {
  it('puts the status and every operation behind a function key; only the lifecycle endpoint and the health answer are anonymous', async () => {
    await import('../../src/index');
    const http = Object.fromEntries(
      [...registered.http].map(([name, { route, methods, authLevel }]) => [name, { route, methods, authLevel }]),
    );
    expect(http).toEqual({
      schedulerStatus: { route: 'webhooks/scheduler/status', methods: ['GET'], authLevel: 'function' },
      // The status page for people: behind a key like the status.
      statusPage: { route: 'webhooks/scheduler', methods: ['GET'], authLevel: 'function' },
      registerSubscription: { route: 'webhooks/subscriptions', methods: ['POST'], authLevel: 'function' },
      listSubscriptions: { route: 'webhooks/subscriptions', methods: ['GET'], authLevel: 'function' },
      adoptSubscriptions: { route: 'webhooks/subscriptions/adopt', methods: ['POST'], authLevel: 'function' },
      renewSubscriptionsNow: { route: 'webhooks/subscriptions/renew', methods: ['POST'], authLevel: 'function' },
      removeSubscription: { route: 'webhooks/subscriptions/{id}', methods: ['DELETE'], authLevel: 'function' },
      updateSubscription: { route: 'webhooks/subscriptions/{id}', methods: ['PATCH'], authLevel: 'function' },
      updateSubscriptions: { route: 'webhooks/subscriptions', methods: ['PATCH'], authLevel: 'function' },
      // The customer tenants (docs/tenants.md): behind a key like every operation.
      addTenant: { route: 'tenants', methods: ['POST'], authLevel: 'function' },
      listTenants: { route: 'tenants', methods: ['GET'], authLevel: 'function' },
      removeTenant: { route: 'tenants/{tenantId}', methods: ['DELETE'], authLevel: 'function' },
      // Graph cannot send a function key: each notification's client state is the check.
      lifecycleNotifications: { route: 'webhooks/lifecycle', methods: ['POST'], authLevel: 'anonymous' },
      // Monitors call it without a key; it answers one bit (healthy or not) and nothing else.
      health: { route: 'webhooks/health', methods: ['GET'], authLevel: 'anonymous' },
    });
  });

  it('exposes nothing else over HTTP: the other functions are a timer and queue triggers', async () => {
    await import('../../src/index');
    expect(Object.fromEntries(registered.triggers)).toEqual({
      renewSubscriptions: 'timer',
      renewShortLivedSubscriptions: 'timer',
      subscriptionCensus: 'timer',
      renewQueuedSubscription: 'storageQueue',
      recordPoisonedRenewal: 'storageQueue',
    });
  });
});

describe('the lifecycle endpoint acts only on our client state', () => {
  const post = (subscriptionId: string, clientState: unknown, lifecycleEvent = 'subscriptionRemoved') =>
    httpsPost(
      harness.env.WEBHOOK_LIFECYCLE_URL!,
      JSON.stringify({ value: [{ subscriptionId, clientState, lifecycleEvent, tenantId: 't' }] }),
      {
        'content-type': 'application/json',
      },
    );

  for (const [description, forge] of FORGED_CLIENT_STATES) {
    scenario(
      'access',
      `a client state with ${description} is ignored: no Graph call, row unchanged, the value never logged`,
      harness,
      async ({ arranged }) => {
        const clientState = forge(harness.env.WEBHOOK_CLIENT_STATE!);
        const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6) });
        const before = await harness.row(id);
        await arranged();

        for (const event of ['subscriptionRemoved', 'reauthorizationRequired', 'missed']) {
          expect((await post(id, clientState, event)).status).toBe(202);
        }
        await settled();

        expect(harness.graph.requests).toEqual([]);
        expect(await harness.row(id)).toEqual(before);
        expect(harness.messages('warning')).toContainEqual(
          expect.stringMatching(
            typeof clientState === 'string'
              ? /its clientState does not match WEBHOOK_CLIENT_STATE/
              : /has no clientState/,
          ),
        );
        const logged = harness.messages().join('\n');
        if (typeof clientState === 'string' && clientState.trim().length >= 8)
          expect(logged).not.toContain(clientState.trim());
        expect(logged).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
      },
    );
  }

  scenario(
    'access',
    'our own client state is acted on (the control for the forgeries above)',
    harness,
    async ({ arranged }) => {
      const id = await storeSubscription(harness, { expiresAt: hoursFrom(new Date(), 6) });
      await arranged();

      expect((await post(id, harness.env.WEBHOOK_CLIENT_STATE, 'reauthorizationRequired')).status).toBe(202);
      await settled();

      expect(harness.graph.patches(id)).toHaveLength(1);
      expect(harness.messages().join('\n')).not.toContain(harness.env.WEBHOOK_CLIENT_STATE);
    },
  );
});

describe('sameSecret: the client-state comparison', () => {
  const secret = 'Zq3-vN8_kL2pX7rT5mW9yB4cD6fH1jQ0';

  it('is true for the same value, unicode included', () => {
    expect(sameSecret(secret, secret)).toBe(true);
    expect(sameSecret('clé-secrète-ünïcødé-✓-0123456789', 'clé-secrète-ünïcødé-✓-0123456789')).toBe(true);
  });

  it.each([
    ['the last character different', `${secret.slice(0, -1)}1`],
    ['a prefix', secret.slice(0, 16)],
    ['one character longer', `${secret}x`],
    ['empty', ''],
    ['another case', secret.toLowerCase()],
    ['a look-alike letter', secret.replace('v', 'ν')],
    ['trailing white space', `${secret} `],
  ])('is false for %s', (_, received) => {
    expect(sameSecret(received, secret)).toBe(false);
  });

  it('compares bytes, not what they look like: the composed and decomposed forms of "é" differ', () => {
    expect(sameSecret('caf\u00e9-0123456789abcdef', 'cafe\u0301-0123456789abcdef')).toBe(false);
  });

  it('takes the same path whatever the guess: one timingSafeEqual over two 32-byte digests, lengths never compared first', () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    for (const received of ['', 'Z', secret.slice(0, -1), `${secret}x`, 'y'.repeat(10_000), secret]) {
      compare.mockClear();
      sameSecret(received, secret);
      expect(compare).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0]! as [Buffer, Buffer];
      expect([a.length, b.length]).toEqual([32, 32]);
    }
  });
});
