/**
 * `npm run demo:web`: a chat page in a real browser, built on the library with the browser's own
 * WebSocket, talking to the strict ReferenceGateway started in this same process.
 *
 * One HTTP server on 127.0.0.1 serves the page, its script (examples/web/app.ts, bundled with
 * esbuild at start), the page's settings, a token endpoint (the token travels in a POST response
 * body and then in the auth frame: never in a URL) and one endpoint per fault the page's buttons
 * ask for. `startWebDemo()` is exported for the browser specs in spec/browser/.
 */
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReferenceGateway, type ReferenceGatewayOptions } from '../../lib/testing/index.js';
import type { DemoSettings, Fault } from './demo-settings.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Options of {@link startWebDemo}; timings are in milliseconds. */
export interface WebDemoOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** What the page's session is told to use. @default DEFAULT_SETTINGS */
  readonly settings?: Partial<Omit<DemoSettings, 'gatewayUrl'>>;
  /** How long "restart" keeps the gateway's port closed. @default 3000 */
  readonly restartDownMs?: number;
  /** Options of the reference gateway. @default { authTimeout: 5000, tokenTtlMs: 60000 } */
  readonly gateway?: ReferenceGatewayOptions;
}

/** A running demo. */
export interface WebDemo {
  /** The page: `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The gateway the page talks to, for assertions (`accepted`, `events`). */
  readonly gateway: ReferenceGateway;
  /** Stops the HTTP server and the gateway. */
  close(): Promise<void>;
}

/** Timings that make faults and recoveries easy to watch by eye. */
export const DEFAULT_SETTINGS: Omit<DemoSettings, 'gatewayUrl'> = {
  heartbeatInterval: 2_000,
  heartbeatTimeout: 2_000,
  retryInitialDelay: 1_000,
  retryMaxDelay: 8_000,
};

const FAULTS: Readonly<Record<Fault, (gateway: ReferenceGateway, restartDownMs: number) => void>> = {
  'drop-all': (gateway) => gateway.dropAll(),
  'half-open': (gateway) => gateway.goHalfOpen(),
  'expire-token': (gateway) => gateway.expireTokens(),
  // Not awaited: the answer goes out at once while the port stays closed for `restartDownMs`.
  restart: (gateway, restartDownMs) => {
    gateway.restart({ downMs: restartDownMs }).catch((error: unknown) => console.error('web demo: restart failed:', error));
  },
};

/**
 * Starts the gateway, bundles the page's script and serves the demo.
 *
 * @example
 * const demo = await startWebDemo({ port: 0 });
 * console.log(demo.url); // http://127.0.0.1:41234/
 * await demo.close();
 */
export async function startWebDemo(options: WebDemoOptions = {}): Promise<WebDemo> {
  const { port = 8080, restartDownMs = 3_000 } = options;
  const script = await bundleApp();
  const html = readFileSync(join(here, 'index.html'), 'utf8');
  const gateway = await ReferenceGateway.start({ authTimeout: 5_000, tokenTtlMs: 60_000, ...options.gateway });
  const settings: DemoSettings = { ...DEFAULT_SETTINGS, ...options.settings, gatewayUrl: gateway.url };

  const server = createServer((request, response) => {
    try {
      route(request, response);
    } catch (error) {
      send(response, 500, 'text/plain', String(error));
    }
  });
  // Only the demo's own page may ask for tokens and faults: another page open in the same browser
  // (or one that rebinds a DNS name to 127.0.0.1) sends a different Host or Origin.
  const fromDemoPage = (request: IncomingMessage) => {
    const self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return request.headers.host === self && (request.headers.origin === undefined || request.headers.origin === `http://${self}`);
  };
  const route = (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (request.method === 'POST' && !fromDemoPage(request)) return send(response, 403, 'text/plain', 'forbidden');
    if (request.method === 'GET' && path === '/') return send(response, 200, 'text/html; charset=utf-8', html);
    if (request.method === 'GET' && path === '/app.js') return send(response, 200, 'text/javascript', script);
    if (request.method === 'GET' && path === '/favicon.ico') return send(response, 204, 'image/x-icon', '');
    if (request.method === 'GET' && path === '/settings') return send(response, 200, 'application/json', JSON.stringify(settings));
    if (request.method === 'POST' && path === '/token') {
      return send(response, 200, 'application/json', JSON.stringify({ token: gateway.issueToken() }));
    }
    const fault = path.startsWith('/fault/') ? (path.slice('/fault/'.length) as Fault) : undefined;
    if (request.method === 'POST' && fault && Object.hasOwn(FAULTS, fault)) {
      FAULTS[fault](gateway, restartDownMs);
      return send(response, 204, 'text/plain', '');
    }
    send(response, 404, 'text/plain', 'not found');
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    await gateway.close(); // the port is taken: leave nothing running
    throw error;
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    gateway,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}

/** The page's script: app.ts and the library, for the browser (rxjs and io-ts included). */
async function bundleApp(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [join(here, 'app.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  // no-store: a token must never sit in a cache.
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

async function main(): Promise<void> {
  const port = Number(process.env['PORT'] ?? 8080);
  const demo = await startWebDemo({ port });
  console.log(`web demo: open ${demo.url} (gateway ${demo.gateway.url}); Ctrl+C to stop`);
  const stop = () => {
    void demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
