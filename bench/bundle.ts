/**
 * Benchmark 6, bundle size: each entry bundled for the browser by esbuild (ESM, minified, tree
 * shaken), gzipped at level 9. Peers (rxjs, io-ts, fp-ts, graphql) are external unless the row says
 * otherwise; a row that measures a piece of rxjs itself has to bundle the rxjs it needs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BENCH_DIR } from './harness.js';

export interface BundleRow {
  readonly id: string;
  readonly label: string;
  readonly minBytes: number;
  readonly gzipBytes: number;
}

const ROOT = join(BENCH_DIR, '..');
const LIB = join(ROOT, 'lib', 'index.ts').replace(/\\/g, '/');
const PEERS = ['rxjs', 'rxjs/*', 'io-ts', 'io-ts/*', 'fp-ts', 'fp-ts/*', 'graphql', 'graphql/*'];

interface Entry {
  readonly id: string;
  readonly label: string;
  readonly source: string;
  readonly external: readonly string[];
  /** Skipped (with a note) when this package is not installed. */
  readonly needs?: string;
}

const ENTRIES: readonly Entry[] = [
  { id: 'ours-main', label: 'ours: main entry (everything exported), peers external', source: `export * from '${LIB}';`, external: PEERS },
  {
    id: 'ours-pipeline',
    label: 'ours: the README pipeline only (fromWebSocket + 6 operators), peers external',
    source: `export { fromWebSocket, waitForOpen, authenticate, heartbeat, reauthOnExpiry, retryWithBackoff, messages } from '${LIB}';`,
    external: PEERS,
  },
  {
    id: 'ours-main+rxjs',
    label: 'ours: main entry + the rxjs it uses (io-ts, fp-ts external)',
    source: `export * from '${LIB}';`,
    external: PEERS.filter((peer) => !peer.startsWith('rxjs')),
  },
  {
    id: 'rxjs-webSocket',
    label: 'rxjs webSocket() + the rxjs it uses',
    source: `export { webSocket } from 'rxjs/webSocket';`,
    external: [],
  },
  {
    id: 'partysocket',
    label: 'partysocket (main entry: PartySocket + ReconnectingWebSocket)',
    source: `export * from 'partysocket';`,
    external: [],
  },
  {
    id: 'partysocket-rws',
    label: 'partysocket ReconnectingWebSocket only',
    source: `export { WebSocket } from 'partysocket';`,
    external: [],
  },
  {
    id: 'graphql-ws-client',
    label: 'graphql-ws client (graphql external)',
    source: `export * from 'graphql-ws/client';`,
    external: PEERS,
    needs: 'graphql-ws',
  },
];

export async function bundleSizes(): Promise<{ rows: BundleRow[]; skipped: string[] }> {
  const rows: BundleRow[] = [];
  const skipped: string[] = [];
  for (const entry of ENTRIES) {
    if (entry.needs && !existsSync(join(ROOT, 'node_modules', entry.needs))) {
      skipped.push(`${entry.label}: ${entry.needs} is not installed`);
      continue;
    }
    const output = await build({
      stdin: { contents: entry.source, resolveDir: ROOT, loader: 'ts', sourcefile: `${entry.id}.ts` },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // rxjs 7 publishes its tree-shakable ES2015 build under this condition.
      conditions: ['es2015'],
      mainFields: ['es2015', 'browser', 'module', 'main'],
      external: [...entry.external],
      write: false,
      logLevel: 'silent',
    });
    const code = output.outputFiles[0]!.contents;
    rows.push({ id: entry.id, label: entry.label, minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength });
  }
  return { rows, skipped };
}
