import { beforeEach, describe, expect, it } from 'vitest';
import { ConsentMissingError, CredentialError } from '../../../src/renewal/errors';
import { runRenewal } from '../../support/fakes/underTest';
import { hoursFromNow, World } from './world';

const CONTOSO = '11111111-1111-4111-8111-111111111111';
const FABRIKAM = '22222222-2222-4222-8222-222222222222';

let world: World;
beforeEach(() => {
  world = new World();
});

const run = (overrides?: Parameters<World['runInput']>[0]) => runRenewal(world.runInput(overrides));

/** What the tenants table was told, per tenant: nothing more when a token came, why when it did not. */
function recordingHealth() {
  const recorded: { tenantId: string; refused?: string; consentMissing?: boolean }[] = [];
  return {
    recorded,
    recordHealth: (tenantId: string, _at: Date, problem?: { message: string; consentMissing: boolean }) => {
      recorded.push({
        tenantId,
        ...(problem ? { refused: problem.message, consentMissing: problem.consentMissing } : {}),
      });
      return Promise.resolve();
    },
  };
}

describe('a run over several tenants', () => {
  it("renews each subscription on its own tenant's Graph, and names the tenant in its event line", async () => {
    world.outlook('home-1', 5);
    world.outlook('contoso-1', 5, { tenant: CONTOSO });
    world.outlook('fabrikam-1', 5, { tenant: FABRIKAM });

    const result = await run();

    expect(result).toMatchObject({ outcome: 'succeeded', due: 3, renewed: 3 });
    expect(world.graph.callsOf('renew').map((call) => call.id)).toEqual(['home-1']);
    expect(
      world
        .tenantGraph(CONTOSO)
        .callsOf('renew')
        .map((call) => call.id),
    ).toEqual(['contoso-1']);
    expect(
      world
        .tenantGraph(FABRIKAM)
        .callsOf('renew')
        .map((call) => call.id),
    ).toEqual(['fabrikam-1']);
    expect(world.tenantGraph(CONTOSO).subscriptions.get('contoso-1')!.expirationDateTime).toEqual(hoursFromNow(72));
    const renewed = world.log.events('subscriptionRenewed');
    expect(Object.fromEntries(renewed.map((event) => [event.subscriptionId, event.tenantId]))).toEqual({
      'home-1': 'home',
      'contoso-1': CONTOSO,
      'fabrikam-1': FABRIKAM,
    });
    // A line about the whole run is about every tenant.
    expect(world.log.events('runFinished')).toEqual([expect.objectContaining({ tenantId: '*' })]);
  });

  it('lets a customer tenant that gives no token fail alone: its rows count as failed, the others renew', async () => {
    world.outlook('home-1', 5);
    world.outlook('contoso-1', 5, { tenant: CONTOSO });
    world.outlook('contoso-2', 5, { tenant: CONTOSO });
    world.outlook('fabrikam-1', 5, { tenant: FABRIKAM });
    world
      .tenantGraph(CONTOSO)
      .failNext(
        'ready',
        new ConsentMissingError(
          `AADSTS700016: … Tenant ${CONTOSO}'s admin must grant consent by opening https://login/…`,
        ),
      );
    const health = recordingHealth();

    const result = await run({ tenantHealth: health });

    expect(result).toMatchObject({ outcome: 'partial', due: 4, renewed: 2, failed: 2 });
    expect(world.tenantGraph(CONTOSO).callsOf('renew')).toEqual([]);
    expect(world.tenantGraph(FABRIKAM).callsOf('renew')).toHaveLength(1);
    expect(world.log.events('tenantUnavailable')).toEqual([
      expect.objectContaining({
        tenantId: CONTOSO,
        due: 2,
        failed: 2,
        consentMissing: true,
        error: expect.stringContaining('consent'),
      }),
    ]);
    // The home tenant has no record: its token is the managed identity's.
    expect([...health.recorded].sort((a, b) => a.tenantId.localeCompare(b.tenantId))).toEqual([
      { tenantId: CONTOSO, refused: expect.stringContaining('AADSTS700016'), consentMissing: true },
      { tenantId: FABRIKAM },
    ]);
    // Nothing of the failed tenant is handed to the queue: it would fail the same way there.
    expect(world.queue.messages).toEqual([]);
  });

  it('fails a tenant whose token did not come for another reason, without calling its consent missing', async () => {
    world.outlook('contoso-1', 5, { tenant: CONTOSO });
    world.tenantGraph(CONTOSO).failNext('ready', new CredentialError('No Microsoft Graph token within 20 s.'));
    const health = recordingHealth();

    const result = await run({ tenantHealth: health });

    expect(result).toMatchObject({ due: 1, failed: 1 });
    expect(health.recorded).toEqual([
      { tenantId: CONTOSO, refused: expect.stringContaining('20 s'), consentMissing: false },
    ]);
  });

  it('gives back the lease of a recreation a refused token stopped, so the next run finds the row free', async () => {
    world.outlook('lost', 5, { tenant: CONTOSO, onGraph: false, row: { state: 'expired' } });
    world.tenantGraph(CONTOSO).failNext('create', new ConsentMissingError('AADSTS700016: consent withdrawn'));

    await run({ tenantHealth: recordingHealth() });

    expect(world.tenantGraph(CONTOSO).callsOf('create')).toHaveLength(1);
    expect(world.store.current('lost')!.leaseUntil).toBeUndefined();
    // The mark of a creation under way stays: the next attempt looks for what this one may have made.
    expect(world.store.current('lost')!.recreateStartedAt).toBeDefined();
  });

  it('stops a customer tenant whose token stops coming part-way, and only that tenant', async () => {
    for (const id of ['c1', 'c2', 'c3']) world.outlook(id, 5, { tenant: CONTOSO });
    world.outlook('home-1', 5);
    world.tenantGraph(CONTOSO).failNext('renew', new CredentialError('consent withdrawn'), { times: Infinity });

    const result = await run({ concurrency: 1, tenantHealth: recordingHealth() });

    // The first renewal met the refusal; the other two were never started.
    expect(world.tenantGraph(CONTOSO).callsOf('renew')).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'partial', due: 4, renewed: 1, failed: 3 });
    expect(world.onGraph('home-1')).toEqual(hoursFromNow(72));
  });

  it("still ends the run when the home tenant's credential fails: every tenant's token starts from it", async () => {
    world.outlook('home-1', 5);
    world.outlook('contoso-1', 5, { tenant: CONTOSO });
    world.graph.failNext('ready', new CredentialError('No managed identity endpoint.'));

    await expect(run()).resolves.toMatchObject({ outcome: 'failed', error: 'No managed identity endpoint.' });
    expect(world.tenantGraph(CONTOSO).callsOf('renew')).toEqual([]);
  });

  it('gives each tenant lanes of its own: one whose every call hangs holds up no other tenant', async () => {
    for (let i = 0; i < 4; i++) world.outlook(`slow-${i}`, 5, { tenant: CONTOSO });
    for (let i = 0; i < 4; i++) world.outlook(`fast-${i}`, 5, { tenant: FABRIKAM });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    world.tenantGraph(CONTOSO).inFlight = () => held;
    const finished: string[] = [];
    world.tenantGraph(FABRIKAM).inFlight = (call) => void finished.push(call.id!);

    const running = run({ concurrency: 2 });
    // Every one of Fabrikam's renewals goes through while Contoso's two lanes are stuck.
    await expect.poll(() => finished.length).toBe(4);
    release();
    expect(await running).toMatchObject({ outcome: 'succeeded', renewed: 8 });
  });

  it("renews one tenant's subscriptions only when asked to", async () => {
    world.outlook('home-1', 5);
    world.outlook('contoso-1', 5, { tenant: CONTOSO });

    const result = await run({ onlyTenant: { tenantId: CONTOSO } });

    expect(result).toMatchObject({ due: 1, renewed: 1 });
    expect(world.graph.callsOf('renew')).toEqual([]);
  });

  it('takes a row naming the home tenant by its id as the home tenant’s', async () => {
    world.outlook('typed', 5, { row: { tenantId: 'home' } });

    await run();

    expect(world.graph.callsOf('renew').map((call) => call.id)).toEqual(['typed']);
  });
});
