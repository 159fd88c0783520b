import { expect } from 'chai';
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The package as a user gets it: `npm pack` (which builds through `prepack`), the tarball installed
 * into a fresh project, then used from ESM, from CommonJS and from strict TypeScript.
 *
 * The build runs in a staging copy so that `npm test` never deletes the working tree's dist/ while
 * something else reads it. The peers are symlinked from this repo's node_modules instead of fetched:
 * the test stays offline and fast.
 */
const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'consumer');
const PEERS = ['rxjs', 'io-ts', 'fp-ts', 'ws', 'typescript', 'tslib', '@types/node', '@types/ws', 'undici-types'];
const STAGED = [
  'package.json',
  'README.md',
  'LICENSE',
  'lib',
  'scripts/build.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.build.cjs.json',
];

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string; readonly mode: number }>;
}

describe('npm package (pack, install, import, require, tsc)', function () {
  this.timeout(180_000);
  let work: string;
  let consumer: string;
  let packed: PackResult;
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    bin?: string | Record<string, string>;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'rxjs-socket-pipeline-pack-'));
    const stage = join(work, 'stage');
    for (const entry of STAGED) {
      if (existsSync(join(root, entry))) cpSync(join(root, entry), join(stage, entry), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'), 'dir');
    // `npm pack` runs `prepack` (the build); its own output is JSON on stdout with --json.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, maxBuffer: 64 << 20 });
    packed = (JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as PackResult[])[0]!;

    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }));
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', join(work, packed.filename)],
      { cwd: consumer },
    );
    for (const peer of PEERS) {
      const target = join(root, 'node_modules', peer);
      if (!existsSync(target)) continue;
      mkdirSync(dirname(join(consumer, 'node_modules', peer)), { recursive: true });
      symlinkSync(target, join(consumer, 'node_modules', peer), 'dir');
    }
    // The TypeScript consumers are stored as .in files so this repo's own tsc does not compile them.
    for (const file of readdirSync(fixtures)) cpSync(join(fixtures, file), join(consumer, file.replace(/\.in$/, '')));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs both builds, their types, and no tests', () => {
    const paths = packed.files.map((file) => file.path);
    for (const path of [
      'package.json',
      'README.md',
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
    ]) {
      expect(paths, path).to.include(path);
    }
    expect(paths).to.include.members(['dist/cjs/package.json', 'dist/esm/testing/index.js', 'dist/cjs/testing/index.d.ts']);
    expect(paths.filter((path) => /(^|\/)spec\/|\.spec\.|^bench\/|^examples\//.test(path))).to.deep.equal([]);
  });

  it('imports every entry from ESM and runs a session against the reference gateway', async () => {
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: consumer, timeout: 30_000 });
    expect(stdout.trim().split('\n')).to.deep.equal(['ready', 'message: hello from esm', 'accepted: hello from esm', 'closed']);
  });

  it('requires from CommonJS, every entry', async () => {
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: consumer, timeout: 30_000 });
    expect(stdout.trim().split('\n')).to.deep.equal(['ready', 'message: hello from cjs', 'closed']);
  });

  /**
   * How each kind of consumer project reads the types, one tsc run per `moduleResolution` (config in
   * consumer/). Every entry (`.`, `./protocols`, `./testing`) is imported in each mode where it can
   * run. The nodenext and browser runs check our .d.ts files themselves (`skipLibCheck: false`); the
   * others skip that (the same files, checked once) and check resolution and what the consumer sees:
   * a `@ts-expect-error` on a wrong use in each of their files fails if an entry's types come out as
   * `any`. node16 is not redundant with nodenext: since TypeScript 5.8 nodenext lets CommonJS
   * `require` ESM types, so only node16 fails when the CommonJS build's types are read as ESM.
   */
  const TYPE_CHECKS: ReadonlyArray<{ readonly mode: string; readonly config: string }> = [
    { mode: 'nodenext: ESM (.mts), CommonJS (.cts and .ts), our .d.ts files checked too', config: 'tsconfig.json' },
    { mode: 'node16: ESM (.mts), CommonJS (.cts and .ts), where CommonJS cannot load ESM types', config: 'tsconfig.node16.json' },
    { mode: 'node10 (`module: commonjs`, no exports map): subpaths through typesVersions', config: 'tsconfig.node10.json' },
    { mode: 'bundler, a browser app (DOM, no ws): main and ./protocols', config: 'tsconfig.bundler.json' },
    { mode: 'bundler, a Node app or test runner (vitest): every entry', config: 'tsconfig.bundler-node.json' },
  ];
  let typeChecks: Map<string, Promise<string>> | undefined;

  for (const { mode, config } of TYPE_CHECKS) {
    it(`type-checks a strict consumer under moduleResolution ${mode}`, async () => {
      // The runs are independent: all start together on the first test (about half the time on 2 cores).
      typeChecks ??= new Map(TYPE_CHECKS.map((check) => [check.config, typeCheck(check.config)]));
      expect(await typeChecks.get(config)!, config).to.equal('');
    });
  }

  /** Runs the consumer's own tsc on one of its configs; returns the diagnostics ('' when clean). */
  async function typeCheck(config: string): Promise<string> {
    const tsc = join(consumer, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', config], { cwd: consumer }).catch(
      (error: { stdout: string; stderr: string }) => error,
    );
    return `${result.stdout}${result.stderr}`.trim();
  }

  it('arethetypeswrong finds no problem in the tarball (every entry; node10, node16 CJS and ESM, bundler)', async () => {
    // attw reads the local tarball only (no network); it exits 1 when it finds a problem, with the
    // same JSON on stdout.
    const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const result = await run(process.execPath, [attw, join(work, packed.filename), '--format', 'json'], {
      cwd: work,
      maxBuffer: 64 << 20,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const report = JSON.parse(result.stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems?: Record<string, unknown[]>;
    };
    expect(Object.keys(report.analysis.entrypoints)).to.include.members(['.', './protocols', './testing']);
    expect(report.problems ?? {}, result.stderr).to.deep.equal({});
  });

  it('installs an executable for each bin entry, which runs (--help)', async function () {
    const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
    if (Object.keys(bins).length === 0) this.skip();
    for (const [name, path] of Object.entries(bins)) {
      const installed = join(consumer, 'node_modules', manifest.name, path);
      expect(readFileSync(installed, 'utf8'), `${path} needs a shebang`).to.match(/^#!\/usr\/bin\/env node\n/);
      expect(statSync(installed).mode & 0o111, `${path} is not executable`).to.not.equal(0);
      // Run through the .bin link, as `npx <name>` would: no `node` in front, so the shebang counts.
      const { stdout } = await run(join(consumer, 'node_modules/.bin', name), ['--help'], { cwd: consumer, timeout: 15_000 });
      expect(stdout, `${name} --help`).to.match(/usage/i);
    }
  });
});
