import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { startWebDemo, type WebDemo } from '../../examples/web/serve.js';
import type { Fault } from '../../examples/web/demo-settings.js';
import { collectPageErrors, launchChromium, screenshot } from './chromium.js';

/**
 * `npm run demo:web` in a real Chromium: the page's session (native WebSocket) against the
 * reference gateway, through every fault its buttons ask for. After each recovery, every message
 * sent is on the page exactly once and in the gateway's accepted list exactly once, in order.
 * Timings are shortened by configuration (heartbeat, backoff, restart downtime), never by sleeping.
 */
describe('web demo in Chromium (examples/web)', function () {
  this.timeout(60_000);
  let demo: WebDemo;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const sentTexts: string[] = [];
  /** Every token the demo's /token endpoint handed out. */
  const issuedTokens: string[] = [];
  /** WebSocket URLs as Chromium itself reports them (independent of the page's own code). */
  const browserSocketUrls: string[] = [];

  before(async () => {
    demo = await startWebDemo({
      port: 0,
      settings: { heartbeatInterval: 300, heartbeatTimeout: 600, retryInitialDelay: 100, retryMaxDelay: 400 },
      restartDownMs: 1_000,
    });
    const issue = demo.gateway.issueToken.bind(demo.gateway);
    demo.gateway.issueToken = (options) => {
      const token = issue(options);
      issuedTokens.push(token);
      return token;
    };
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    pageErrors = collectPageErrors(page);
    page.on('websocket', (socket) => browserSocketUrls.push(socket.url()));
    // Chromium lists no WebSocket in performance entries: record every URL the page opens one with.
    // Plain JavaScript text: a function would reach the page with tsx's helpers (`__name`) in it.
    await page.addInitScript(`{
      const urls = (window.__socketUrls = []);
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(url, protocols) {
          urls.push(String(url));
          super(url, protocols);
        }
      };
    }`);
    await page.goto(demo.url);
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('loads and shows the session ready, with no token in any URL', async () => {
    await page.waitForSelector('#state[data-state="ready"]');
    const timeline = await page.locator('#timeline li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['state']));
    expect(timeline).to.deep.equal(['idle', 'connecting', 'authenticating', 'ready']);
    await expectNoTokenInAnyUrl();
  });

  it('sends: the message shows once and the gateway accepted it once', async () => {
    await send('hello');
    await waitUntilDelivered();
    await screenshot(page, 'web-demo-ready');
  });

  const faults: ReadonlyArray<{ fault: Fault; disturbed: string }> = [
    { fault: 'drop-all', disturbed: 'reconnecting' },
    { fault: 'half-open', disturbed: 'reconnecting' },
    { fault: 'expire-token', disturbed: 'reauthenticating' },
  ];
  for (const { fault, disturbed } of faults) {
    it(`${fault}: the page goes ${disturbed}, recovers, and a message sent meanwhile arrives once`, async () => {
      const mark = await timelineLength();
      await page.click(`button[data-fault="${fault}"]`);
      // Sent at once: it may be written to the dying socket (then re-sent on the next one, the
      // gateway de-duplicating it) or wait in the queue; either way it must arrive exactly once.
      await send(`during ${fault}`);
      await waitForRecovery(mark, disturbed);
      await waitUntilDelivered();
      await screenshot(page, `web-demo-after-${fault}`);
    });
  }

  it('restart: sends queue up visibly while the gateway is down, then go out in order', async () => {
    const mark = await timelineLength();
    await page.click('button[data-fault="restart"]');
    await page.waitForFunction(
      (from) =>
        Array.from(document.querySelectorAll<HTMLElement>('#timeline li'))
          .slice(from)
          .some((item) => item.dataset['state'] === 'reconnecting'),
      mark,
    );
    await send('queued 1');
    await send('queued 2');
    const statuses = await page
      .locator('#outbox li')
      .evaluateAll((items) => items.slice(-2).map((item) => (item as HTMLElement).dataset['status']));
    expect(statuses).to.deep.equal(['queued', 'queued']);
    expect(await page.locator('#state').getAttribute('data-state')).to.not.equal('ready');
    await screenshot(page, 'web-demo-restart-queued');
    await waitForRecovery(mark, 'reconnecting');
    await waitUntilDelivered();
    const reconnecting = await page.locator('#timeline li[data-state="reconnecting"]').last().textContent();
    expect(reconnecting).to.match(/reconnecting in [\d.]+ s, attempt \d+/);
    await screenshot(page, 'web-demo-after-restart');
  });

  it('opened every WebSocket, reconnects included, with no token in its URL', async () => {
    expect((await socketUrls()).length, 'sockets opened over the faults').to.be.greaterThan(3);
    await expectNoTokenInAnyUrl();
  });

  it('logged no page error', () => {
    expect(pageErrors).to.deep.equal([]);
  });

  function socketUrls(): Promise<string[]> {
    return page.evaluate(() => [...(window as unknown as { __socketUrls: string[] }).__socketUrls]);
  }

  /** The page's WebSocket URLs (as it opened them and as Chromium saw them), its resources and its own URL hold no token. */
  async function expectNoTokenInAnyUrl(): Promise<void> {
    const opened = await socketUrls();
    expect(opened.length, 'WebSocket URLs recorded in the page').to.be.greaterThan(0);
    expect(browserSocketUrls.length, 'WebSocket URLs Chromium reported').to.be.greaterThan(0);
    for (const url of opened) expect(url.startsWith(demo.gateway.url), url).to.equal(true);
    expect(issuedTokens.length, 'tokens the page fetched').to.be.greaterThan(0);
    const resources = await page.evaluate(() => performance.getEntriesByType('resource').map((entry) => entry.name));
    const urls = [...opened, ...browserSocketUrls, ...resources, page.url()];
    expect(urls.filter((url) => /token=|eyJ/.test(url) || issuedTokens.some((token) => url.includes(token)))).to.deep.equal([]);
  }

  async function send(text: string): Promise<void> {
    sentTexts.push(text);
    await page.fill('#text', text);
    await page.click('#send-form button[type="submit"]');
  }

  function timelineLength(): Promise<number> {
    return page.locator('#timeline li').count();
  }

  /** Waits for `disturbed` in the timeline after `mark`, then for `ready` after it. */
  async function waitForRecovery(mark: number, disturbed: string): Promise<void> {
    await page.waitForFunction(
      ([from, state]) => {
        const states = Array.from(document.querySelectorAll<HTMLElement>('#timeline li'))
          .slice(from)
          .map((item) => item.dataset['state']);
        const at = states.indexOf(state);
        return at >= 0 && states.indexOf('ready', at) > at && document.querySelector<HTMLElement>('#state')?.dataset['state'] === 'ready';
      },
      [mark, disturbed] as const,
    );
  }

  /** Waits until every send is acknowledged, then checks the page and the gateway: all there, once, in order. */
  async function waitUntilDelivered(): Promise<void> {
    await page.waitForFunction((count) => {
      const statuses = Array.from(document.querySelectorAll<HTMLElement>('#outbox li')).map((item) => item.dataset['status']);
      return statuses.length === count && statuses.every((status) => status === 'acknowledged');
    }, sentTexts.length);
    await page.waitForFunction((count) => document.querySelectorAll('#messages li').length >= count, sentTexts.length);
    const shown = await page.locator('#messages li').allTextContents();
    expect(shown.map((line) => line.replace(/^#\d+ [^:]+: /, ''))).to.deep.equal(sentTexts);
    const ids = await page.locator('#messages li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['id']));
    expect(new Set(ids).size, 'no message id twice').to.equal(ids.length);
    expect(demo.gateway.accepted.map((accepted) => accepted.text)).to.deep.equal(sentTexts);
  }
});
