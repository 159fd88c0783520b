/**
 * `npm run size`: what the package costs a browser app. Bundles the main entry with esbuild
 * (minified, browser platform, ES2022; rxjs, io-ts and fp-ts external, as they are peers the app
 * already has), gzips it (level 9) and compares with a budget; then the same for each operator
 * imported alone, to show tree-shaking. Exits with 1 when anything is over its budget, or when the
 * main entry imports anything but its peers (it must stay browser-safe: no `ws`, no Node built-ins).
 *
 * `npm run size -- --by-file` also lists, for the main entry, the minified bytes each source file
 * puts into the bundle (esbuild's metafile), largest first: where a size cut should start.
 *
 * Sizes are measured from `lib/` (the same code `npm run build` emits to dist/esm); `spec/package/size.spec.ts`
 * asserts the same budgets in `npm test`. KB here means 1024 bytes.
 */
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Peer dependencies: never bundled. */
export const PEERS = ['rxjs', 'io-ts', 'fp-ts'] as const;

/** One thing measured, and its budget in gzipped bytes. */
export interface SizeCheck {
  readonly name: string;
  /** The module esbuild bundles: an export statement over the main entry. */
  readonly contents: string;
  readonly budget: number;
}

/** What {@link measure} found. */
export interface SizeResult extends SizeCheck {
  readonly minified: number;
  readonly gzipped: number;
}

/**
 * The budgets: what the code measured when they were set, plus about 5 %, so a regression fails
 * `npm test` and a deliberate growth is a visible edit here. The target is a main entry
 * under 3 KB gzip (graphql-ws's client is about 3.3 KB) and well under 1 KB for one operator alone;
 * the code is not there yet (see docs/packaging.md for what the bytes are and the plan).
 */
export const CHECKS: readonly SizeCheck[] = [
  { name: 'main entry (everything)', contents: `export * from './lib/index.js';`, budget: kb(15.2) },
  { name: 'session (connect)', contents: `export { connect } from './lib/index.js';`, budget: kb(14.8) },
  {
    name: 'pipeline (fromWebSocket + 6 operators)',
    contents:
      'export { fromWebSocket, waitForOpen, authenticate, heartbeat, reauthOnExpiry, retryWithBackoff, messages } ' +
      `from './lib/index.js';`,
    budget: kb(9.55),
  },
  ...(
    [
      ['fromWebSocket', 2.95],
      ['waitForOpen', 1.1],
      ['authenticate', 3.2],
      ['heartbeat', 2.0],
      ['reauthOnExpiry', 3.12],
      ['retryWithBackoff', 2.72],
      ['messages', 2.38],
    ] as const
  ).map(([name, budget]) => ({
    name: `${name} alone`,
    contents: `export { ${name} } from './lib/index.js';`,
    budget: kb(budget),
  })),
];

/** esbuild's options for one check: the same for the sizes and for the per-file breakdown. */
function buildOptions(check: SizeCheck): esbuild.BuildOptions & { write: false } {
  return {
    stdin: { contents: check.contents, resolveDir: root, loader: 'ts', sourcefile: `${check.name}.ts` },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [peersOnly],
  };
}

/** Minified bytes each source file puts into the bundle of `check`, largest first. */
export async function bytesByFile(check: SizeCheck = CHECKS[0]!): Promise<Array<{ file: string; bytes: number }>> {
  const output = await esbuild.build({ ...buildOptions(check), metafile: true });
  const inputs = Object.values(output.metafile.outputs)[0]!.inputs;
  return Object.entries(inputs)
    .map(([file, { bytesInOutput }]) => ({ file, bytes: bytesInOutput }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

/** Bundles, minifies and gzips each check. Rejects if the code imports anything but the peers. */
export async function measure(checks: readonly SizeCheck[] = CHECKS): Promise<SizeResult[]> {
  const results: SizeResult[] = [];
  for (const check of checks) {
    const output = await esbuild.build(buildOptions(check));
    const code = output.outputFiles[0]!.contents;
    results.push({ ...check, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length });
  }
  return results;
}

/** Formats bytes as KB with two decimals. */
export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(2)} KB`;
}

/** Keeps the peers external and fails on any other package or Node built-in. */
const peersOnly: esbuild.Plugin = {
  name: 'peers-only',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const isPeer = PEERS.some((peer) => args.path === peer || args.path.startsWith(`${peer}/`));
      if (isPeer) return { path: args.path, external: true };
      return {
        errors: [{ text: `${args.importer} imports "${args.path}": the main entry must only import ${PEERS.join(', ')}` }],
      };
    });
  },
};

function kb(value: number): number {
  return Math.round(value * 1024);
}

async function main(): Promise<void> {
  const results = await measure();
  const width = Math.max(...results.map((result) => result.name.length));
  console.log(`${'bundle'.padEnd(width)}  ${'minified'.padStart(10)}  ${'gzip'.padStart(9)}  ${'budget'.padStart(9)}`);
  for (const result of results) {
    const verdict = result.gzipped <= result.budget ? 'ok' : 'OVER BUDGET';
    console.log(
      `${result.name.padEnd(width)}  ${formatKb(result.minified).padStart(10)}  ${formatKb(result.gzipped).padStart(9)}  ${formatKb(result.budget).padStart(9)}  ${verdict}`,
    );
  }
  if (results.some((result) => result.gzipped > result.budget)) process.exitCode = 1;
  if (process.argv.includes('--by-file')) {
    console.log(`\nminified bytes per source file, ${CHECKS[0]!.name}:`);
    for (const { file, bytes } of await bytesByFile()) console.log(`${String(bytes).padStart(8)}  ${file}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
