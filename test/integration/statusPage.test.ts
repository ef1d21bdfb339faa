import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusPage } from '../../src/functions/statusPage';
import { hoursFrom, storeSubscription } from '../support/fixtures';
import { useHarness } from '../support/useHarness';

// The page a person opens, in a real headless Chromium (Debian's package, driven by playwright-core:
// no browser is downloaded), against Azurite and the Graph emulator.
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (path) => path && existsSync(path),
);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT = join(process.cwd(), 'test-output');
const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

if (!CHROMIUM) {
  console.warn(
    '\n*** SKIPPED the status page browser test: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH). ***\n',
  );
}

const harness = useHarness();

describe.skipIf(!CHROMIUM)('the status page in a browser', () => {
  let browser: import('playwright-core').BrowserContext;
  let url: string;
  let userDataDir: string;
  const requests: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'status-page-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: FLAGS,
      headless: true,
      ignoreHTTPSErrors: true,
    });
    browser.on('request', (request) => void requests.push(request.url()));
    browser.on('console', (message) => void (/refused|violat/i.test(message.text()) && refused.push(message.text())));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  async function arrange(): Promise<void> {
    const now = new Date();
    for (let i = 0; i < 40; i++)
      await storeSubscription(harness, { expiresAt: hoursFrom(now, 40 + (i % 30)), partitionKey: `mailbox-${i % 4}` });
    const failing = await storeSubscription(harness, {
      id: 'failing-one',
      expiresAt: hoursFrom(now, 5),
      resource: `users/x/messages/${HOSTILE}`,
    });
    harness.graph.inject({
      method: 'PATCH',
      subscriptionId: failing,
      status: 403,
      times: Infinity,
      code: 'Forbidden',
      message: `Insufficient privileges ${HOSTILE}`,
    });
    await harness.runTimer();
    await harness.runCensus();
    url = harness.host.route('webhooks/scheduler', statusPage);
  }

  it('shows the verdict, the problems with what to do, the timers, the timeline and the subscriptions that need attention; no request leaves its origin', async () => {
    await arrange();
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    const answer = await page.goto(url);

    expect(answer?.status()).toBe(200);
    expect(answer?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/problems? needs? a person/);
    const problems = await page.locator('ol.problems li').allTextContents();
    expect(problems).toContainEqual(
      expect.stringMatching(
        /Subscription failing-one .*failed its last 1 renewal attempt\(s\).*What to do: Grant the app the Graph permission/,
      ),
    );
    expect(await page.locator('table').first().textContent()).toMatch(/renewSubscriptions[\s\S]*subscriptionCensus/);
    expect(await page.locator('svg.timeline rect.bar').count()).toBeGreaterThan(5);
    expect(await page.locator('svg.timeline line.due').count()).toBe(1);
    // Text from the table and from Graph is shown as text, never run or rendered as markup.
    expect(await page.locator('body').textContent()).toContain(HOSTILE);
    expect(await page.locator('script, img').count()).toBe(0);
    expect(refused).toEqual([]);
    const origin = new URL(url).origin;
    expect(requests.filter((request) => new URL(request).origin !== origin)).toEqual([]);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'status-page-1440.png'), fullPage: true });
    // The picture in docs/operations.md is made here, on request: UPDATE_SCREENSHOT=1 npx vitest run test/integration/statusPage.test.ts
    if (process.env.UPDATE_SCREENSHOT === '1')
      await page.screenshot({ path: join(process.cwd(), 'docs', 'status-page.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it.each([390, 1440])(
    'fits a %i px wide window: no horizontal overflow, the content visible',
    async (width) => {
      await arrange();
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 800 });
      await page.goto(url);

      // Evaluated in the page (a string: the tests are type-checked without the DOM's types).
      const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
        '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
      );
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      for (const selector of ['h1', 'ol.problems', 'svg.timeline']) {
        const box = await page.locator(selector).first().boundingBox();
        expect(box, selector).not.toBeNull();
        expect(box!.width).toBeGreaterThan(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(width + 1);
      }
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, `status-page-${width}.png`), fullPage: true });
      await page.close();
    },
    60_000,
  );
});

// Counted as skipped, and named, in the run's summary when there is no browser.
if (!CHROMIUM)
  it.skip('the status page in a browser: NO CHROMIUM FOUND (apt-get install -y chromium, or set CHROMIUM_PATH)', () =>
    undefined);
