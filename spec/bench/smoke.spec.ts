import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILES, type BenchReport } from '../../bench/benchmarks.js';
import { BENCH_DIR, RESULTS_DIR } from '../../bench/harness.js';
import { STAGE_VARIANTS, VARIANTS } from '../../bench/variants.js';

/** A benchmark's JSON result file, as `npm run bench` writes it. */
type ResultFile = BenchReport & { readonly meta: Record<string, unknown> };

/** The CLI run's outcome. */
interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

const NAMES = ['throughput', 'latency', 'sessions', 'storm', 'dead', 'bundle', 'overhead', 'memory'];
/** Upper bound of the whole run, never reached unless something hangs (it takes about 30 s on 2 cores). */
const RUN_BOUND_MS = 150_000;

/**
 * Every benchmark, with tiny counts, run the way `npm run bench` runs them: `bench/run.ts` as a CLI
 * in its own process, which builds the entries, forks the bench server and one fresh process per
 * client measurement, and writes its JSON and markdown (here to a temporary directory). Checks that
 * each variant does the work it is timed on, that the result files and the report are complete,
 * and that no process outlives the run. Never a time or a ratio: benchmarks are not tests.
 */
describe('bench (smoke, child processes)', () => {
  const profile = PROFILES.smoke;
  let outDir: string | undefined;
  let group: number | undefined;
  let run: CliRun;
  let files: string[];
  let reports: Map<string, ResultFile>;

  before(async function () {
    this.timeout(RUN_BOUND_MS + 10_000);
    mkdirSync(RESULTS_DIR, { recursive: true });
    // Inside the project (the built entries import its node_modules), gitignored, removed after.
    outDir = mkdtempSync(join(RESULTS_DIR, 'smoke-'));
    run = await runCli(['--smoke', '--out', outDir], (pid) => (group = pid));
    const context = `exit ${run.code ?? run.signal}; stderr:\n${run.stderr.slice(-4000)}`;
    expect(run.code, context).to.equal(0);
    files = readdirSync(outDir).filter((name) => name.endsWith('.json'));
    reports = new Map(files.map((name) => JSON.parse(readFileSync(join(outDir!, name), 'utf8')) as ResultFile).map((r) => [r.name, r]));
  });

  after(function () {
    this.timeout(10_000);
    // Only if the run hung or failed: whatever is left of its process group goes.
    if (group !== undefined && liveInGroup(group).length) killGroup(group);
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  const runsOf = (name: string, key: string) => {
    const raw = reports.get(name)!.raw as Record<string, (Record<string, unknown> | null)[]>;
    expect(raw, `${name} raw results`).to.have.property(key);
    const runs = raw[key]!;
    expect(runs, `${name}/${key} runs`).to.have.length(profile.runs);
    return runs.map((run) => {
      // A failed measurement is written as null.
      expect(run, `${name}/${key}: a failed measurement`).to.be.an('object');
      return run!;
    });
  };

  it('leaves no process behind: the server and every client have exited', async () => {
    expect(group).to.be.a('number');
    // The run waited for each of them; only the esbuild service may still be on its way out.
    const deadline = Date.now() + 5_000;
    while (liveInGroup(group!).length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(liveInGroup(group!), 'processes of the run still alive').to.deep.equal([]);
  });

  it('writes one complete JSON result per benchmark, without a failed measurement, and latest.md', () => {
    expect([...reports.keys()].sort()).to.deep.equal([...NAMES].sort());
    expect(files).to.have.length(NAMES.length);
    // One run: every file is named after the run's start and the benchmark it holds.
    const date = reports.get(NAMES[0]!)!.meta.date as string;
    const stamp = date.replace(/[:.]/g, '-');
    expect(files.sort()).to.deep.equal(NAMES.map((name) => `${stamp}-${name}.json`).sort());
    for (const name of NAMES) {
      const report = reports.get(name)!;
      expect(report).to.have.all.keys('meta', 'name', 'title', 'params', 'markdown', 'targets', 'errors', 'raw');
      expect(report.meta).to.have.all.keys('date', 'node', 'cpus', 'cpu', 'loadavg');
      expect(report.meta.date, name).to.equal(date);
      expect(report.meta.node).to.equal(process.version);
      expect(report.params).to.include({ profile: 'smoke', runs: profile.runs });
      expect(report.title).to.be.a('string').that.is.not.empty;
      expect(report.markdown).to.be.a('string').that.is.not.empty;
      expect(report.errors, name).to.deep.equal([]);
      for (const target of report.targets) expect(target).to.have.all.keys('what', 'target', 'measured', 'met');
    }
    expect(readFileSync(join(outDir!, 'latest.md'), 'utf8')).to.equal(run.stdout);
  });

  it('throughput: every variant receives every message, in order', () => {
    const { count } = profile.throughput;
    let checksum = 0;
    for (let id = 0; id < count; id++) checksum += id % 1000; // the server's flood cycles through 1000 ids
    for (const variant of VARIANTS) {
      for (const run of runsOf('throughput', variant.id)) {
        expect(run.timedOut, variant.id).to.equal(false);
        expect(run.received, variant.id).to.equal(count);
        expect(run.checksum, variant.id).to.equal(checksum);
        expect(run.msgsPerSec, variant.id).to.be.a('number'); // NaN would have been written as null
      }
    }
  });

  it('latency: every variant completes every round trip', () => {
    for (const variant of VARIANTS) {
      for (const run of runsOf('latency', variant.id)) {
        expect(run.timedOut, variant.id).to.equal(false);
        expect(run.roundTrips, variant.id).to.equal(profile.latency.count);
        expect(run.p50Us, variant.id).to.be.a('number');
        expect(run.p99Us, variant.id).to.be.a('number');
      }
    }
  });

  it('sessions: every session of every variant authenticates, at both sizes', () => {
    for (const size of profile.sessions.sizes) {
      for (const key of ['ws', 'rxjs', 'partysocket', 'ours-codec', 'connect-codec']) {
        for (const run of runsOf('sessions', `${key}@${size}`)) {
          expect(run.timedOut, key).to.equal(false);
          expect(run.sessions, key).to.equal(size);
          expect(run.reconnects, key).to.equal(0);
        }
      }
    }
  });

  it('storm: every session of every variant is back after the restart', () => {
    for (const key of ['ws', 'rxjs', 'partysocket', 'ours-codec', 'connect-codec']) {
      for (const run of runsOf('storm', key)) {
        expect(run.back, key).to.equal(profile.storm.sessions);
        expect((run.attemptsMs as number[]).length, key).to.be.at.least(profile.storm.sessions);
      }
    }
  });

  it('dead: a heartbeat notices every half-open connection; without one nothing does', () => {
    for (const key of ['ws', 'rxjs', 'partysocket', 'ours-codec', 'connect-codec']) {
      for (const run of runsOf('dead', key)) {
        expect(run.missed, key).to.equal(0);
        // Each session's entry is the ms it took to notice (a number), or null if it never did.
        // (Only whether it was noticed: how fast is a wall-clock time, the benchmark's business.)
        const noticed = (run.noticedMs as unknown[]).filter((ms) => typeof ms === 'number');
        expect(noticed.length, `${key}: sessions that noticed the dead connection`).to.equal(profile.dead.sessions);
      }
    }
    for (const run of runsOf('dead', 'ws-none')) {
      expect(run.missed).to.equal(profile.dead.sessions);
      expect(run.noticedMs, 'ws-none: no session noticed').to.deep.equal(Array.from({ length: profile.dead.sessions }, () => null));
    }
  });

  it('bundle: every entry builds to a non-empty bundle', () => {
    const rows = reports.get('bundle')!.raw as { id: string; minBytes: number; gzipBytes: number }[];
    expect(rows.map((row) => row.id)).to.include.members([
      'ours-main',
      'ours-pipeline',
      'rxjs-webSocket',
      'partysocket',
      'graphql-ws-client',
    ]);
    for (const row of rows) expect(row.gzipBytes, row.id).to.be.greaterThan(0).and.lessThan(row.minBytes);
  });

  it('overhead: every consumer is measured', () => {
    const raw = reports.get('overhead')!.raw as Record<string, number | null>;
    expect(Object.keys(raw)).to.include.members([
      'parse',
      'parse-decode',
      'ours-unknown',
      'ours-codec',
      'connect-unknown',
      'connect-codec',
    ]);
    for (const [id, ns] of Object.entries(raw)) expect(typeof ns === 'number' && ns > 0, id).to.equal(true);
  });

  it('memory: every stage of the pipeline authenticates every session', () => {
    for (const key of ['ws', ...STAGE_VARIANTS.map((stage) => stage.id), 'ours-codec', 'connect-codec']) {
      for (const run of runsOf('memory', key)) {
        expect(run.timedOut, key).to.equal(false);
        expect(run.sessions, key).to.equal(profile.memory.sessions);
      }
    }
  });

  it('the report on stdout has a row per client and every figure it is about measured', () => {
    const tableRows = (title: string) => {
      const section = run.stdout.split('\n## ').find((part) => part.startsWith(title));
      expect(section, title).to.be.a('string');
      const rows: string[][] = [];
      for (const line of section!.split('\n')) {
        if (line.startsWith('| ---'))
          rows.pop(); // the line before was the header
        else if (line.startsWith('| ')) rows.push(line.slice(2, -2).split(' | '));
      }
      return rows;
    };
    // '-' is what the tables show for a figure nothing measured; its value is none of our business.
    const measured = (cells: string[], columns: number[]) => {
      for (const column of columns) expect(cells[column], `${cells[0]}, column ${column}`).to.be.a('string').that.is.not.oneOf(['', '-']);
    };
    const throughput = tableRows('1. Inbound throughput');
    expect(throughput.map((cells) => cells[0])).to.deep.equal(VARIANTS.map((variant) => variant.label));
    for (const cells of throughput) measured(cells, [1, 2, 3, 4]);
    const latency = tableRows('2. Round-trip latency');
    expect(latency.map((cells) => cells[0])).to.deep.equal(VARIANTS.map((variant) => variant.label));
    for (const cells of latency) measured(cells, [1, 2, 3, 4]);
    const sessions = tableRows('3. Many sessions');
    // Two sizes plus the marginal table, five clients each.
    expect(sessions).to.have.length(15);
    for (const cells of sessions.slice(0, 10)) measured(cells, [1, 2]);
    expect(tableRows('4. Reconnect storm')).to.have.length(5);
    expect(tableRows('5. Dead-connection detection')).to.have.length(6);
    expect(tableRows('6. Bundle size').length).to.be.at.least(5);
    expect(tableRows('8. Memory per session')).to.have.length(STAGE_VARIANTS.length + 3);
    const targets = tableRows('Targets');
    expect(targets.length).to.be.at.least(10);
    // Memory per session over 5 or 10 sessions is noise (it can round to 0 for raw ws): only the others must be measured.
    for (const cells of targets.filter((row) => !/RSS|heap/.test(row[0]!))) measured(cells, [2]);
  });
});

/**
 * Runs `bench/run.ts` as `npm run bench` does (`tsx bench/run.ts ...`, here as node's --import
 * hook so that no tsx wrapper process sits in between), in a process group of its own so that
 * every process it starts can be found, and killed if the run is cut short.
 */
function runCli(args: readonly string[], onStart: (pid: number) => void): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'run.ts'), ...args], {
      cwd: join(BENCH_DIR, '..'),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) onStart(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (process.env.BENCH_SMOKE_LOG) process.stdout.write(chunk);
    });
    const bound = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid);
      reject(new Error(`bench run took over ${RUN_BOUND_MS} ms; stderr:\n${stderr.slice(-4000)}`));
    }, RUN_BOUND_MS);
    child.once('error', (error) => {
      clearTimeout(bound);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(bound);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Pids of the process group's members still running (a zombie waiting for its reaper is not). */
function liveInGroup(pgid: number): number[] {
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}
