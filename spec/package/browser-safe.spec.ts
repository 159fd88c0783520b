import { expect } from 'chai';
import * as esbuild from 'esbuild';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The main entry (`rxjs-socket-pipeline`) must bundle for a browser as it is: the only packages it
 * imports are its peers, never `ws` or a Node built-in, and it reads no Node global. The
 * `./testing` entry is Node-only on purpose and is checked to stay out of the main entry's graph.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const PEERS = ['rxjs', 'io-ts', 'fp-ts'];
const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

interface BrowserBundle {
  readonly imports: ReadonlySet<string>;
  readonly inputs: readonly string[];
  readonly code: string;
}

async function bundleForBrowser(entry: string): Promise<BrowserBundle> {
  const imports = new Set<string>();
  const result = await esbuild.build({
    entryPoints: [join(root, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-packages',
        setup(build) {
          // Every bare specifier is a package or a built-in: record it and keep it out of the bundle.
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            imports.add(args.path);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return { imports, inputs: Object.keys(result.metafile.inputs), code: result.outputFiles[0]!.text };
}

describe('browser safety of the main entry', () => {
  let main: BrowserBundle;

  before(async () => {
    main = await bundleForBrowser('lib/index.ts');
  });

  it('imports only its peers (rxjs, io-ts, fp-ts): no ws, no Node built-in', () => {
    const packages = [...main.imports].map((path) =>
      (path.startsWith('@') ? path.split('/').slice(0, 2) : path.split('/').slice(0, 1)).join('/'),
    );
    expect(packages.filter((name) => NODE_BUILTINS.has(name))).to.deep.equal([]);
    expect(packages).to.not.include('ws');
    expect([...new Set(packages)].filter((name) => !PEERS.includes(name))).to.deep.equal([]);
  });

  it('reads no Node global (Buffer, process, require, __dirname)', () => {
    expect(main.code).to.not.match(/\bBuffer\.|\bprocess\.|\brequire\(|__dirname|__filename/);
  });

  it('does not pull in the Node-only ./testing entry', () => {
    expect(main.inputs.filter((input) => input.includes('lib/testing/'))).to.deep.equal([]);
  });

  it('the check itself catches a Node import (./testing imports ws and node: built-ins)', async () => {
    const testing = await bundleForBrowser('lib/testing/index.ts');
    expect([...testing.imports]).to.include('ws');
    expect([...testing.imports].some((path) => NODE_BUILTINS.has(path))).to.equal(true);
  });
});
