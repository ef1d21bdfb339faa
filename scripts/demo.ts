/**
 * `npm run demo`: the renewal service end to end with no Azure account. Starts Azurite, a managed-
 * identity endpoint and a Graph emulator on loopback, stores four subscriptions, runs the real timer
 * handler once, then calls the real status handler and prints what each said.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createLoopbackCertificate } from '../test/support/tls';

async function launch(): Promise<number> {
  // Node reads NODE_EXTRA_CA_CERTS only at start-up: make the certificate, then run the demo in a
  // child process that trusts it (the Graph client insists on https).
  const certificate = await createLoopbackCertificate();
  try {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: certificate.certPath,
        DEMO_TLS_CERT: certificate.certPath,
        DEMO_TLS_KEY: certificate.keyPath,
      },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    rmSync(certificate.dir, { recursive: true, force: true });
  }
}

async function demo(certPath: string, keyPath: string): Promise<void> {
  // Loaded here, in the child only: the launcher has no use for the app.
  const { renewSubscriptions } = await import('../src/functions/renewSubscriptions');
  const { schedulerStatus } = await import('../src/functions/schedulerStatus');
  const { startAzurite } = await import('../test/support/azurite');
  const { HOUR, storeSubscription } = await import('../test/support/fixtures');
  const { Harness } = await import('../test/support/harness');

  const azurite = await startAzurite({ queues: true });
  const harness = await Harness.start({}, { connectionString: azurite.connectionString, certPath, keyPath });
  try {
    const now = Date.now();
    const mailbox = (n: number) => `users/0000000${n}-demo-4c55-9d0b-4b1f1c0d2a11/mailFolders('Inbox')/messages`;
    const seeded = [
      { label: 'expires in 6 h', resource: mailbox(1), expiresAt: new Date(now + 6 * HOUR) },
      { label: 'expires in 30 h', resource: mailbox(2), expiresAt: new Date(now + 30 * HOUR) },
      {
        label: "expires in 3 days (70 h, near Outlook's maximum)",
        resource: mailbox(3),
        expiresAt: new Date(now + 70 * HOUR),
      },
      {
        label: 'expired 2 h ago (Graph deleted it): to be recreated',
        resource: mailbox(4),
        expiresAt: new Date(now - 2 * HOUR),
        onGraph: false,
      },
    ];
    console.log('Stored subscriptions:');
    const ids: string[] = [];
    for (const subscription of seeded) {
      const id = await storeSubscription(harness, subscription);
      ids.push(id);
      console.log(`  ${id}  ${subscription.label}, until ${subscription.expiresAt.toISOString()}`);
    }

    console.log('\nTimer renewSubscriptions runs (log lines as Application Insights traces would show them):');
    const print = (from: number) => {
      for (const line of harness.logs.slice(from)) console.log(`  [${line.level}] ${line.message}`);
      return harness.logs.length;
    };
    try {
      await renewSubscriptions(harness.timer(), harness.context('renewSubscriptions'));
    } catch {
      // The run's own log lines say why; the status below shows it too.
    }
    let printed = print(0);

    console.log(`\nGraph posts a "missed" lifecycle notification for ${ids[1]} to POST /api/webhooks/lifecycle:`);
    const lifecycle = await harness.graph.sendLifecycle(ids[1]!, 'missed');
    console.log(`  HTTP ${lifecycle.status}`);
    printed = print(printed);

    console.log('\nGET /api/webhooks/scheduler/status?hours=48');
    const answer = await schedulerStatus(harness.statusRequest('?hours=48'), harness.context('schedulerStatus'));
    print(printed);
    console.log(`HTTP ${answer.status}`);
    // The timeline's 72 hourly buckets are for the page: here, only those with something in them.
    const body = answer.jsonBody as { timeline?: { buckets: { count: number }[] } };
    if (body.timeline) body.timeline.buckets = body.timeline.buckets.filter((bucket) => bucket.count > 0);
    console.log(JSON.stringify(body, null, 2));
    console.log(
      answer.status === 503
        ? '\n503 is the point: Graph lost notifications for one subscription and its consumer must resync, so an uptime monitor on this endpoint alerts.'
        : '\nAll subscriptions are healthy.',
    );
  } finally {
    await harness.stop();
    await azurite.stop();
  }
}

const { DEMO_TLS_CERT: certPath, DEMO_TLS_KEY: keyPath } = process.env;
const main = certPath && keyPath ? demo(certPath, keyPath).then(() => 0) : launch();
main.then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
