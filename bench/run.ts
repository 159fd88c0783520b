/**
 * Runs the benchmarks and prints markdown tables; raw results go to bench/results/ (gitignored).
 *
 *   npm run bench                       all eight, full counts (about 25 minutes)
 *   npm run bench -- throughput         one (throughput, latency, sessions, storm, dead, bundle, overhead, memory)
 *   npm run bench -- latency --quick    small counts, 3 rounds (for development)
 *   npm run bench -- --runs 7           more rounds
 *   npm run bench -- --smoke --out DIR  tiny counts, 1 round (the smoke spec); results and build in DIR
 *
 * Progress goes to stderr, the report to stdout and to bench/results/latest.md (DIR/latest.md with --out).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCHMARKS, PROFILES, type BenchReport, type Profile } from './benchmarks.js';
import { BENCH_DIR, processLauncher, RESULTS_DIR } from './harness.js';
import { table } from './stats.js';

export interface RunOptions {
  readonly names: readonly string[];
  readonly profile: Profile;
  /** Where progress lines go. */
  readonly log?: (line: string) => void;
  /** Write JSON and markdown to `outDir`. */
  readonly write?: boolean;
  /**
   * Where the JSON, latest.md and the built client and server entries go; default bench/results/.
   * Must be inside the project: the built entries import packages from its node_modules.
   */
  readonly outDir?: string;
}

export interface RunOutcome {
  readonly reports: readonly BenchReport[];
  readonly markdown: string;
}

/** Runs the named benchmarks (all when empty) and returns their reports and the markdown. */
export async function runBenchmarks(options: RunOptions): Promise<RunOutcome> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const names = options.names.length ? options.names : Object.keys(BENCHMARKS);
  for (const name of names) {
    if (!BENCHMARKS[name]) throw new Error(`unknown benchmark '${name}'; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const outDir = resolve(options.outDir ?? RESULTS_DIR);
  const fromRoot = relative(join(BENCH_DIR, '..'), outDir);
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) {
    throw new Error(`the output directory must be inside the project (the built entries import its node_modules): ${outDir}`);
  }
  const started = new Date();
  const load: number[] = [];
  const sampler = setInterval(() => load.push(loadavg()[0]!), 2_000);
  load.push(loadavg()[0]!);
  const reports: BenchReport[] = [];
  try {
    const launcher = await processLauncher({ buildDir: join(outDir, 'build') });
    for (const name of names) {
      const benchmark = BENCHMARKS[name]!;
      const at = Date.now();
      log(`${benchmark.title} (${options.profile.name}, ${options.profile.runs} rounds)`);
      const report = await benchmark.run({ profile: options.profile, launcher, log });
      reports.push(report);
      log(`  done in ${Math.round((Date.now() - at) / 1000)} s`);
      if (options.write !== false) writeJson(outDir, started, report);
    }
  } finally {
    clearInterval(sampler);
  }
  load.push(loadavg()[0]!);
  const markdown = render(reports, options.profile, started, load);
  if (options.write !== false) writeFileSync(join(outDir, 'latest.md'), markdown);
  return { reports, markdown };
}

function render(reports: readonly BenchReport[], profile: Profile, started: Date, load: readonly number[]): string {
  const cpu = cpus();
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const average = load.reduce((sum, value) => sum + value, 0) / load.length;
  const header = [
    `Date: ${started.toISOString()} · ${Math.round(minutes * 10) / 10} min · profile \`${profile.name}\` (${profile.runs} rounds)`,
    `Machine: ${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`,
    `Load (1-min average, sampled every 2 s): min ${Math.min(...load).toFixed(2)}, mean ${average.toFixed(2)}, max ${Math.max(...load).toFixed(2)} on ${cpu.length} cores`,
  ];
  const targets = reports.flatMap((report) => report.targets);
  const sections = reports.map((report) =>
    [
      `## ${report.title}`,
      '',
      report.markdown,
      ...(report.errors.length ? ['', `Failed measurements: ${report.errors.join('; ')}`] : []),
    ].join('\n'),
  );
  return [
    ...header.map((line) => `${line}  `),
    '',
    ...(targets.length
      ? [
          '## Targets',
          '',
          table(
            ['what', 'target', 'measured', 'met'],
            targets.map((t) => [t.what, t.target, t.measured, t.met ? 'yes' : '**no**']),
          ),
          '',
        ]
      : []),
    sections.join('\n\n'),
    '',
  ].join('\n');
}

function writeJson(outDir: string, started: Date, report: BenchReport): void {
  mkdirSync(outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = join(outDir, `${stamp}-${report.name}.json`);
  const meta = { date: started.toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg() };
  writeFileSync(file, JSON.stringify({ meta, ...report }, null, 2));
}

/** CLI: `tsx bench/run.ts [name ...] [--quick | --smoke] [--runs N] [--out DIR]`. */
async function main(argv: readonly string[]): Promise<void> {
  const names: string[] = [];
  let profile: Profile = PROFILES.full;
  let runs: number | undefined;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') profile = PROFILES.quick;
    else if (arg === '--smoke') profile = PROFILES.smoke;
    else if (arg === '--runs') runs = Number(argv[++i]);
    else if (arg === '--out') {
      outDir = argv[++i];
      if (!outDir) throw new Error('--out needs a directory');
    } else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  if (runs !== undefined) {
    if (!(runs >= 1 && Number.isInteger(runs))) throw new Error('--runs must be a positive integer');
    profile = { ...profile, runs };
  }
  const { markdown } = await runBenchmarks({ names, profile, ...(outDir === undefined ? {} : { outDir }) });
  process.stdout.write(markdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
