import { expect } from 'chai';
import { PROFILES, type BenchReport } from '../../bench/benchmarks.js';
import { runBenchmarks } from '../../bench/run.js';
import { STAGE_VARIANTS, VARIANTS } from '../../bench/variants.js';

/**
 * Every benchmark, with tiny counts, server and clients in this process: checks that each variant
 * does the work it is timed on and that the report is complete. Never a time: benchmarks are not tests.
 */
describe('bench (smoke)', () => {
  const profile = PROFILES.smoke;
  let reports: Map<string, BenchReport>;
  let markdown: string;

  before(async function () {
    this.timeout(120_000);
    const outcome = await runBenchmarks({
      names: [],
      profile,
      write: false,
      inProcess: true,
      log: (line) => process.env.BENCH_SMOKE_LOG && console.log(line),
    });
    reports = new Map(outcome.reports.map((report) => [report.name, report]));
    markdown = outcome.markdown;
  });

  const runsOf = (name: string, key: string) => {
    const raw = reports.get(name)!.raw as Record<string, (Record<string, unknown> | undefined)[]>;
    expect(raw, `${name} raw results`).to.have.property(key);
    const runs = raw[key]!;
    expect(runs, `${name}/${key} runs`).to.have.length(profile.runs);
    return runs.map((run) => {
      expect(run, `${name}/${key}: a failed measurement`).to.not.equal(undefined);
      return run!;
    });
  };

  it('runs all eight benchmarks without a failed measurement', () => {
    expect([...reports.keys()]).to.deep.equal(['throughput', 'latency', 'sessions', 'storm', 'dead', 'bundle', 'overhead', 'memory']);
    for (const report of reports.values()) expect(report.errors, report.name).to.deep.equal([]);
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
        expect(Number.isFinite(run.msgsPerSec), variant.id).to.equal(true);
      }
    }
  });

  it('latency: every variant completes every round trip', () => {
    for (const variant of VARIANTS) {
      for (const run of runsOf('latency', variant.id)) {
        expect(run.timedOut, variant.id).to.equal(false);
        expect(run.roundTrips, variant.id).to.equal(profile.latency.count);
        expect(Number.isFinite(run.p50Us) && Number.isFinite(run.p99Us), variant.id).to.equal(true);
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
        const noticed = (run.noticedMs as unknown[]).filter((ms) => typeof ms === 'number' && Number.isFinite(ms));
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
    const raw = reports.get('overhead')!.raw as Record<string, number>;
    expect(Object.keys(raw)).to.include.members([
      'parse',
      'parse-decode',
      'ours-unknown',
      'ours-codec',
      'connect-unknown',
      'connect-codec',
    ]);
    for (const [id, ns] of Object.entries(raw)) expect(Number.isFinite(ns) && ns > 0, id).to.equal(true);
  });

  it('memory: every stage of the pipeline authenticates every session', () => {
    for (const key of ['ws', ...STAGE_VARIANTS.map((stage) => stage.id), 'ours-codec', 'connect-codec']) {
      for (const run of runsOf('memory', key)) expect(run.sessions, key).to.equal(profile.memory.sessions);
    }
  });

  it('the report has a row per client and finite ratios to raw ws', () => {
    const tableRows = (title: string) => {
      const section = markdown.split('\n## ').find((part) => part.startsWith(title));
      expect(section, title).to.be.a('string');
      const rows: string[][] = [];
      for (const line of section!.split('\n')) {
        if (line.startsWith('| ---'))
          rows.pop(); // the line before was the header
        else if (line.startsWith('| ')) rows.push(line.slice(2, -2).split(' | '));
      }
      return rows;
    };
    const ratio = /^\d+\.\d\d( \(\d+\.\d\d-\d+\.\d\d\))?$/;
    const throughput = tableRows('1. Inbound throughput');
    expect(throughput.map((cells) => cells[0])).to.deep.equal(VARIANTS.map((variant) => variant.label));
    for (const cells of throughput) {
      expect(cells[2], cells[0]).to.match(ratio);
      expect(cells[4], cells[0]).to.match(ratio);
    }
    const latency = tableRows('2. Round-trip latency');
    expect(latency).to.have.length(VARIANTS.length);
    for (const cells of latency) expect(cells[3], cells[0]).to.match(ratio);
    const sessions = tableRows('3. Many sessions');
    // Two sizes plus the marginal table, five clients each.
    expect(sessions).to.have.length(15);
    for (const cells of sessions.slice(0, 10)) expect(cells[2], cells[0]).to.match(ratio);
    expect(tableRows('4. Reconnect storm')).to.have.length(5);
    expect(tableRows('5. Dead-connection detection')).to.have.length(6);
    expect(tableRows('6. Bundle size').length).to.be.at.least(5);
    expect(tableRows('8. Memory per session')).to.have.length(STAGE_VARIANTS.length + 3);
    const targets = tableRows('Targets');
    expect(targets.length).to.be.at.least(10);
    // In-process, memory per session is noise (it can round to 0 for raw ws): only the others must be measured.
    for (const cells of targets.filter((row) => !/RSS|heap/.test(row[0]!))) expect(cells[2], cells[0]).to.not.equal('-');
  });
});
