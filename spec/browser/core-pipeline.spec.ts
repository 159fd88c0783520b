import { expect } from 'chai';
import * as esbuild from 'esbuild';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ReferenceGateway } from '../../lib/testing/index.js';
import { collectPageErrors, launchChromium } from './chromium.js';

/**
 * The browser entry proven in a real browser: fromWebSocket on Chromium's native WebSocket (no
 * WebSocketCtor), through auth, heartbeat, re-auth on expiry, a drop and a reconnect, to typed
 * messages, against the reference gateway. The page code is core-pipeline.page.ts.
 */
describe('core pipeline in Chromium (native WebSocket)', function () {
  this.timeout(60_000);
  let gateway: ReferenceGateway;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let server: Server;

  before(async () => {
    const bundle = await esbuild.build({
      entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'core-pipeline.page.ts')],
      bundle: true,
      format: 'iife',
      globalName: 'corePipeline',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    gateway = await ReferenceGateway.start();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    pageErrors = collectPageErrors(page);
    await page.exposeFunction('issueToken', () => gateway.issueToken());
    // Served from 127.0.0.1: Chromium refuses WebSockets to a private address from an opaque
    // (about:blank) or public origin.
    const script = bundle.outputFiles[0]!.text;
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><title>core pipeline</title><script>${script}</script>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await gateway?.close();
  });

  it('connects and authenticates with the browser WebSocket, no WebSocketCtor given', async () => {
    expect(await page.evaluate(() => typeof WebSocket)).to.equal('function');
    await page.evaluate((url) => corePipeline.start(url), gateway.url);
    await waitForLog('authenticated');
    expect(await log()).to.deep.equal(['connecting', 'open', 'authenticated']);
    expect(gateway.authenticatedCount).to.equal(1);
  });

  it('receives typed messages and sends app frames', async () => {
    gateway.publish('from the server');
    await page.evaluate(() => corePipeline.send('page-1', 'from the page'));
    await waitForLog('message 2 from the page');
    expect(await log()).to.include.members(['message 1 from the server', 'message 2 from the page']);
    expect(gateway.accepted.map((accepted) => accepted.text)).to.deep.equal(['from the page']);
  });

  it('re-authenticates on the same socket when the token expires', async () => {
    const connections = gateway.events.filter((event) => event.kind === 'connect').length;
    gateway.expireTokens();
    await waitForLog('reauthenticated');
    expect(gateway.events.filter((event) => event.kind === 'connect').length).to.equal(connections);
  });

  it('reconnects after a drop and after a half-open connection', async () => {
    gateway.dropAll();
    await waitForLog('reconnecting', 'authenticated');
    gateway.goHalfOpen();
    await waitForLog('reconnecting', 'authenticated');
    gateway.publish('after the faults');
    await waitForLog('message 3 after the faults');
  });

  it('closes the socket when unsubscribed', async () => {
    await page.evaluate(() => corePipeline.stop());
    await waitFor(() => gateway.authenticatedCount === 0);
    expect(pageErrors).to.deep.equal([]);
  });

  function log(): Promise<string[]> {
    return page.evaluate(() => corePipeline.log);
  }

  /** Waits until `entries` appear in order after the last time this was called. */
  let seen = 0;
  async function waitForLog(...entries: string[]): Promise<void> {
    const handle = await page.waitForFunction(
      ({ from, wanted }) => {
        const lines = corePipeline.log.slice(from);
        let at = -1;
        for (const entry of wanted) {
          at = lines.indexOf(entry, at + 1);
          if (at < 0) return false;
        }
        return from + at + 1;
      },
      { from: seen, wanted: entries },
    );
    seen = (await handle.jsonValue()) as number;
  }
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The page module's exports, as the IIFE bundle leaves them on `window.corePipeline`. */
declare const corePipeline: typeof import('./core-pipeline.page.js');
