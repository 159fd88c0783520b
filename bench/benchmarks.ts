/**
 * The six benchmarks of issue 5, run from the parent process: each starts the bench server in its
 * own process, runs every client variant in a fresh process, interleaved round by round
 * (A B C ... A B C ...), and reports median (min-max) over the rounds plus the ratio to raw `ws`
 * measured in the same round.
 */
import { bundleSizes } from './bundle.js';
import { overheadTable } from './overhead.js';
import type { BenchServer, Launcher } from './harness.js';
import type { ClientTask } from './client.js';
import { formatNumber, formatSpread, quantile, ratios, spread, table, type Spread } from './stats.js';
import { STAGE_VARIANTS, variant as variantById } from './variants.js';

/** Counts and timings of one invocation. */
export interface Profile {
  readonly name: string;
  /** Rounds: every figure is the median over this many fresh processes per client. */
  readonly runs: number;
  readonly throughput: { readonly count: number };
  readonly latency: { readonly count: number; readonly warmup: number };
  readonly sessions: {
    readonly sizes: readonly [number, number];
    readonly window: number;
    readonly heartbeatMs: number;
    readonly settleMs: number;
  };
  readonly storm: {
    readonly sessions: number;
    readonly window: number;
    readonly initialDelay: number;
    readonly maxDelay: number;
    readonly downMs: number;
  };
  readonly dead: { readonly sessions: number; readonly interval: number; readonly timeout: number };
  /** Sessions per run of the memory-by-stage table. */
  readonly memory: { readonly sessions: number };
  /** Frames per block and blocks per consumer of the in-process overhead measurement. */
  readonly overhead: { readonly frames: number; readonly rounds: number };
}

export const PROFILES: Readonly<Record<'full' | 'quick' | 'smoke', Profile>> = {
  full: {
    name: 'full',
    runs: 5,
    throughput: { count: 200_000 },
    latency: { count: 20_000, warmup: 1_000 },
    sessions: { sizes: [2_000, 10_000], window: 250, heartbeatMs: 25_000, settleMs: 500 },
    storm: { sessions: 2_000, window: 250, initialDelay: 1_000, maxDelay: 5_000, downMs: 500 },
    dead: { sessions: 20, interval: 1_000, timeout: 1_000 },
    overhead: { frames: 20_000, rounds: 40 },
    memory: { sessions: 2_000 },
  },
  quick: {
    name: 'quick',
    runs: 3,
    throughput: { count: 20_000 },
    latency: { count: 2_000, warmup: 200 },
    sessions: { sizes: [200, 1_000], window: 100, heartbeatMs: 25_000, settleMs: 500 },
    storm: { sessions: 200, window: 100, initialDelay: 1_000, maxDelay: 5_000, downMs: 500 },
    dead: { sessions: 5, interval: 500, timeout: 500 },
    overhead: { frames: 20_000, rounds: 10 },
    memory: { sessions: 500 },
  },
  smoke: {
    name: 'smoke',
    runs: 1,
    throughput: { count: 300 },
    latency: { count: 30, warmup: 5 },
    sessions: { sizes: [5, 10], window: 10, heartbeatMs: 25_000, settleMs: 0 },
    storm: { sessions: 10, window: 10, initialDelay: 200, maxDelay: 400, downMs: 50 },
    dead: { sessions: 2, interval: 150, timeout: 150 },
    overhead: { frames: 500, rounds: 2 },
    memory: { sessions: 5 },
  },
};

export interface Target {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

export interface BenchReport {
  readonly name: string;
  readonly title: string;
  readonly params: unknown;
  readonly markdown: string;
  readonly targets: readonly Target[];
  readonly errors: readonly string[];
  readonly raw: unknown;
}

export interface Context {
  readonly profile: Profile;
  readonly launcher: Launcher;
  readonly log: (line: string) => void;
}

export interface Benchmark {
  readonly title: string;
  run(context: Context): Promise<BenchReport>;
}

/** One row of a table: a client variant, maybe with extra task fields. */
interface Row {
  readonly key: string;
  readonly variant: string;
  readonly label: string;
  readonly extra?: Record<string, unknown>;
}

const PER_MESSAGE_ROWS: readonly Row[] = [
  'ws',
  'ws-iots',
  'rxjs',
  'rxjs-iots',
  'partysocket',
  'partysocket-iots',
  'ours-unknown',
  'ours-codec',
  'connect-unknown',
  'connect-codec',
].map(rowFor);
/** For the connection-level benchmarks validation does not matter; ours runs with every operator on. */
const CONNECTION_ROWS: readonly Row[] = ['ws', 'rxjs', 'partysocket', 'ours-codec', 'connect-codec'].map(rowFor);

export const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  throughput: { title: '1. Inbound throughput', run: throughput },
  latency: { title: '2. Round-trip latency', run: latency },
  sessions: { title: '3. Many sessions', run: sessions },
  storm: { title: '4. Reconnect storm', run: storm },
  dead: { title: '5. Dead-connection detection', run: dead },
  bundle: { title: '6. Bundle size', run: bundle },
  overhead: { title: '7. Pipeline cost per frame, without the network', run: overhead },
  memory: { title: '8. Memory per session, operator by operator', run: memory },
};

// ---------------------------------------------------------------------------------------------
// 1. Throughput
// ---------------------------------------------------------------------------------------------

async function throughput(context: Context): Promise<BenchReport> {
  const { count } = context.profile.throughput;
  const boundMs = 20_000 + count / 10; // >= 10k msgs/s or it is a failure
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, PER_MESSAGE_ROWS, async (row) => {
      const result = await client(context, { bench: 'throughput', variant: row.variant, url: server.url, count, boundMs });
      await server.drained(10_000);
      if (result.timedOut) throw new Error(`timed out after ${String(result.received ?? 0)} of ${count} messages`);
      return result;
    }),
  );
  const rate = (row: Row) => numbers(values, row, 'msgsPerSec');
  const floor = rate(PER_MESSAGE_ROWS[0]!);
  const cpu = (row: Row) => numbers(values, row, 'cpuUsPerMsg');
  const cpuFloor = cpu(PER_MESSAGE_ROWS[0]!);
  const rows = PER_MESSAGE_ROWS.map((row) => [
    row.label,
    formatSpread(spread(rate(row)), 0),
    formatSpread(spread(ratios(rate(row), floor)), 2),
    formatSpread(spread(cpu(row)), 2),
    // Inverted, so that like the throughput ratio 1 is the floor and lower is costlier.
    formatSpread(spread(ratios(cpuFloor, cpu(row))), 2),
  ]);
  const ratioOf = (key: string) => spread(ratios(rate(rowFor(key)), floor));
  const targets = [
    target('throughput, no validation (ours, t.unknown) / raw ws', '>= 0.95', ratioOf('ours-unknown'), (m) => m >= 0.95),
    target('throughput, io-ts validation (ours, ChatMessage) / raw ws', '>= 0.85', ratioOf('ours-codec'), (m) => m >= 0.85),
    target('throughput, no validation (connect, t.unknown) / raw ws', '>= 0.95', ratioOf('connect-unknown'), (m) => m >= 0.95),
    target('throughput, io-ts validation (connect, ChatMessage) / raw ws', '>= 0.85', ratioOf('connect-codec'), (m) => m >= 0.85),
  ];
  const markdown = [
    `${count.toLocaleString('en-US')} chat messages (~300 B JSON each) pushed by the server as fast as the socket drains; messages/s delivered to the app, median (min-max) of ${context.profile.runs} runs.`,
    '',
    table(['client', 'messages/s', 'ratio to raw ws (same round)', 'client CPU µs/message', 'raw ws CPU / this CPU'], rows),
    '',
    `For reference: raw ws + a plain io-ts \`decode\` runs at ${formatSpread(ratioOf('ws-iots'), 2)} of raw ws. The CPU columns count the client process's own CPU time (user + system) during the flood: steadier than wall time when other work shares the cores.`,
  ].join('\n');
  return report('throughput', context, { count }, markdown, targets, errors, values);
}

// ---------------------------------------------------------------------------------------------
// 2. Latency
// ---------------------------------------------------------------------------------------------

async function latency(context: Context): Promise<BenchReport> {
  const { count, warmup } = context.profile.latency;
  const boundMs = 20_000 + count * 2; // >= 500 round trips/s or it is a failure
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, PER_MESSAGE_ROWS, async (row) => {
      const result = await client(context, { bench: 'latency', variant: row.variant, url: server.url, count, warmup, boundMs });
      await server.drained(10_000);
      if (result.timedOut) throw new Error(`timed out after ${String(result.roundTrips ?? 0)} round trips`);
      return result;
    }),
  );
  const floor50 = numbers(values, PER_MESSAGE_ROWS[0]!, 'p50Us');
  const floor99 = numbers(values, PER_MESSAGE_ROWS[0]!, 'p99Us');
  const rows = PER_MESSAGE_ROWS.map((row) => {
    const p50 = numbers(values, row, 'p50Us');
    const p99 = numbers(values, row, 'p99Us');
    return [
      row.label,
      formatSpread(spread(p50), 0),
      formatSpread(spread(p99), 0),
      formatSpread(spread(ratios(p50, floor50)), 2),
      formatSpread(spread(ratios(p99, floor99)), 2),
    ];
  });
  const p50Ratio = (key: string) => spread(ratios(numbers(values, rowFor(key), 'p50Us'), floor50));
  const targets = [
    target('latency p50 (ours, t.unknown) / raw ws', '<= 1.05', p50Ratio('ours-unknown'), (m) => m <= 1.05),
    target('latency p50 (ours, ChatMessage) / raw ws', '<= 1.05', p50Ratio('ours-codec'), (m) => m <= 1.05),
    target('latency p50 (connect, ChatMessage) / raw ws', '<= 1.05', p50Ratio('connect-codec'), (m) => m <= 1.05),
  ];
  const markdown = [
    `${count.toLocaleString('en-US')} sequential round trips (after ${warmup.toLocaleString('en-US')} warm-up ones): the client sends \`{"type":"echo","id":n}\` through its send path, the server answers with one chat message, the client receives it through its (decoding) message path and sends the next. Microseconds, median (min-max) of ${context.profile.runs} runs.`,
    '',
    table(['client', 'p50 µs', 'p99 µs', 'p50 ratio to raw ws', 'p99 ratio to raw ws'], rows),
  ].join('\n');
  return report('latency', context, { count, warmup }, markdown, targets, errors, values);
}

// ---------------------------------------------------------------------------------------------
// 3. Many sessions
// ---------------------------------------------------------------------------------------------

async function sessions(context: Context): Promise<BenchReport> {
  const { sizes, window, heartbeatMs, settleMs } = context.profile.sessions;
  const rows = sizes.flatMap((size) => CONNECTION_ROWS.map((row) => ({ ...row, key: `${row.key}@${size}`, extra: { sessions: size } })));
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, rows, async (row) => {
      const size = row.extra!.sessions as number;
      const boundMs = 30_000 + size * 10;
      const result = await client(
        context,
        { bench: 'sessions', variant: row.variant, url: server.url, sessions: size, window, heartbeatMs, settleMs, boundMs },
        ['--expose-gc'],
      );
      if (!(await server.drained(60_000))) context.log('  (server still had connections after 60 s)');
      if (result.timedOut) throw new Error(`only ${String(result.sessions)} of ${size} sessions authenticated in time`);
      return result;
    }),
  );
  const kb = (bytes: number[]) => bytes.map((value) => value / 1024);
  const tables: string[] = [];
  const targets: Target[] = [];
  for (const size of sizes) {
    const at = (row: Row, field: string) => numbers(values, { ...row, key: `${row.key}@${size}` }, field);
    const floor = CONNECTION_ROWS[0]!;
    tables.push(
      `**${size.toLocaleString('en-US')} sessions**`,
      '',
      table(
        ['client', 'all authenticated (ms)', 'ratio', 'RSS KB/session', 'ratio', 'heap KB/session', 'ratio'],
        CONNECTION_ROWS.map((row) => [
          row.label,
          formatSpread(spread(at(row, 'authMs')), 0),
          formatSpread(spread(ratios(at(row, 'authMs'), at(floor, 'authMs'))), 2),
          formatSpread(spread(kb(at(row, 'rssPerSessionBytes'))), 1),
          formatSpread(spread(ratios(at(row, 'rssPerSessionBytes'), at(floor, 'rssPerSessionBytes'))), 2),
          formatSpread(spread(kb(at(row, 'heapPerSessionBytes'))), 1),
          formatSpread(spread(ratios(at(row, 'heapPerSessionBytes'), at(floor, 'heapPerSessionBytes'))), 2),
        ]),
      ),
      '',
    );
  }
  // Marginal cost between the two sizes, per round: (total above empty at big - at small) / (big - small).
  const [small, big] = sizes;
  const marginal = (row: Row, field: 'rssBytes' | 'heapBytes') => {
    const base = field === 'rssBytes' ? 'baseRssBytes' : 'baseHeapBytes';
    const above = (size: number) => {
      const key = `${row.key}@${size}`;
      return (values.get(key) ?? []).map((run) => (run ? (run[field] as number) - (run[base] as number) : NaN));
    };
    const smallRuns = above(small);
    return above(big).map((value, round) => (value - smallRuns[round]!) / (big - small));
  };
  const floor = CONNECTION_ROWS[0]!;
  tables.push(
    `**Marginal cost per session between ${small.toLocaleString('en-US')} and ${big.toLocaleString('en-US')}** (slope of memory above an empty process, same round)`,
    '',
    table(
      ['client', 'RSS KB/session', 'ratio to raw ws', 'heap KB/session', 'ratio to raw ws'],
      CONNECTION_ROWS.map((row) => [
        row.label,
        formatSpread(spread(kb(marginal(row, 'rssBytes'))), 1),
        formatSpread(spread(ratios(marginal(row, 'rssBytes'), marginal(floor, 'rssBytes'))), 2),
        formatSpread(spread(kb(marginal(row, 'heapBytes'))), 1),
        formatSpread(spread(ratios(marginal(row, 'heapBytes'), marginal(floor, 'heapBytes'))), 2),
      ]),
    ),
  );
  const atBig = (row: Row, field: string) => numbers(values, { ...row, key: `${row.key}@${big}` }, field);
  for (const ours of [rowFor('ours-codec'), rowFor('connect-codec')]) {
    const who = ours.variant.startsWith('connect') ? 'connect' : 'ours';
    targets.push(
      target(
        `RSS per session at ${big} (${who}) / raw ws`,
        '<= 1.5',
        spread(ratios(atBig(ours, 'rssPerSessionBytes'), atBig(floor, 'rssPerSessionBytes'))),
        (m) => m <= 1.5,
      ),
      target(
        `heap per session at ${big} (${who}) / raw ws`,
        '<= 1.5',
        spread(ratios(atBig(ours, 'heapPerSessionBytes'), atBig(floor, 'heapPerSessionBytes'))),
        (m) => m <= 1.5,
      ),
      target(
        `marginal RSS per session ${small}->${big} (${who}) / raw ws`,
        '<= 1.5',
        spread(ratios(marginal(ours, 'rssBytes'), marginal(floor, 'rssBytes'))),
        (m) => m <= 1.5,
      ),
      target(
        `time to authenticate ${big} sessions (${who}) / raw ws`,
        '<= 1.15',
        spread(ratios(atBig(ours, 'authMs'), atBig(floor, 'authMs'))),
        (m) => m <= 1.15,
      ),
    );
  }
  const markdown = [
    `N concurrent authenticated sessions in one client process, each with a ${heartbeatMs / 1000} s heartbeat (ours: every operator on, messages(ChatMessage) subscribed; the peers: the same auth and heartbeat by hand). At most ${window} sessions connect at once (the next opens when one is authenticated), so the time is the client's cost per session, not the kernel's accept queue. Memory is measured after 3 forced GCs, above the same process before it opened any session. Median (min-max) of ${context.profile.runs} runs.`,
    '',
    ...tables,
  ].join('\n');
  return report('sessions', context, { sizes, window, heartbeatMs }, markdown, targets, errors, values);
}

// ---------------------------------------------------------------------------------------------
// 4. Reconnect storm
// ---------------------------------------------------------------------------------------------

const STORM_POLICY: Readonly<Record<string, string>> = {
  ws: 'by hand: reconnect 1 s after close',
  rxjs: 'retry({ delay: 1000 })',
  partysocket: 'defaults: first retry after its min delay, drawn 1-5 s per session',
  'ours-codec': 'retryWithBackoff: full jitter, 1 s x2, cap 5 s',
  'connect-codec': 'connect({ retry }): the same retryWithBackoff',
};

async function storm(context: Context): Promise<BenchReport> {
  const { sessions: size, window, initialDelay, maxDelay, downMs } = context.profile.storm;
  const boundMs = maxDelay + 10_000;
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, CONNECTION_ROWS, async (row) => {
      let restart: Promise<void> | undefined;
      const result = await client(
        context,
        { bench: 'storm', variant: row.variant, url: server.url, sessions: size, window, initialDelay, maxDelay, boundMs },
        [],
        (message) => {
          if (message.type === 'ready') restart = server.restart(downMs);
        },
      );
      await restart;
      await server.drained(30_000);
      if (result.phase === 'connect') throw new Error(`only ${String(result.authenticated)} of ${size} sessions connected`);
      return result;
    }),
  );
  const ideal = size / (initialDelay / 100);
  const histogram = (attempts: number[]) => {
    const counts: number[] = [];
    for (const at of attempts) {
      const index = Math.max(0, Math.floor(at / 100));
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return Array.from(counts, (value) => value ?? 0);
  };
  const perRun = (row: Row) =>
    (values.get(row.key) ?? []).map((run) => {
      if (!run) return undefined;
      const counts = histogram(run.attemptsMs as number[]);
      return {
        counts,
        attempts: (run.attemptsMs as number[]).length,
        peak: Math.max(0, ...counts),
        backMs: run.back === run.sessions ? (run.backMs as number) : NaN,
        back: run.back as number,
      };
    });
  const rows = CONNECTION_ROWS.map((row) => {
    const runs = perRun(row).filter((run) => run !== undefined);
    const peaks = runs.map((run) => run.peak);
    return [
      row.label,
      STORM_POLICY[row.variant] ?? '',
      formatSpread(spread(runs.map((run) => run.attempts)), 0),
      formatSpread(spread(peaks), 0),
      formatSpread(spread(peaks.map((peak) => peak / ideal)), 2),
      formatSpread(spread(runs.map((run) => run.backMs)), 0),
      `${Math.min(...runs.map((run) => run.back))}/${size}`,
    ];
  });
  // The histogram of the median run (by peak) of each client, 10 windows of 100 ms per line.
  const histograms = CONNECTION_ROWS.map((row) => {
    const runs = perRun(row)
      .filter((run) => run !== undefined)
      .sort((a, b) => a.peak - b.peak);
    const run = runs[Math.floor((runs.length - 1) / 2)];
    if (!run) return '';
    const lines: string[] = [];
    for (let second = 0; second * 10 < run.counts.length; second++) {
      const slice = run.counts.slice(second * 10, second * 10 + 10);
      lines.push(`${String(second).padStart(3)} s | ${slice.map((value) => String(value).padStart(4)).join(' ')}`);
    }
    return [`${row.label} (peak ${run.peak}, ${run.attempts} attempts):`, '```', ...lines, '```'].join('\n');
  });
  const targets = (['ours-codec', 'connect-codec'] as const).flatMap((key) => {
    const ours = perRun(rowFor(key)).filter((run) => run !== undefined);
    const who = key === 'ours-codec' ? 'ours' : 'connect';
    return [
      target(
        `storm: peak 100 ms window (${who}) / uniform ideal`,
        '<= 2',
        spread(ours.map((run) => run.peak / ideal)),
        (m) => m <= 2,
        'max',
      ),
      target(
        `storm: everyone re-authenticated (${who}), ms after the drop`,
        `<= cap + 2 s = ${maxDelay + 2_000}`,
        spread(ours.map((run) => run.backMs)),
        (m) => m <= maxDelay + 2_000,
        'max',
      ),
    ];
  });
  const markdown = [
    `${size.toLocaleString('en-US')} authenticated sessions in one client process; the server drops every socket and refuses connections for ${downMs} ms, then listens again. Attempts = sockets created after the first drop the client saw; the uniform ideal is ${size} sessions spread evenly over a ${initialDelay} ms first window = ${formatNumber(ideal)} per 100 ms. "All back" = until the last session is authenticated again. Median (min-max) of ${context.profile.runs} runs.`,
    '',
    table(['client', 'reconnect policy', 'attempts', 'peak per 100 ms', 'peak / ideal', 'all back (ms)', 'back (worst run)'], rows),
    '',
    'Attempts per 100 ms window after the drop (median run):',
    '',
    ...histograms.filter(Boolean).flatMap((block) => [block, '']),
  ].join('\n');
  return report('storm', context, context.profile.storm, markdown, targets, errors, values);
}

// ---------------------------------------------------------------------------------------------
// 5. Dead connection
// ---------------------------------------------------------------------------------------------

const DEAD_ROWS: readonly Row[] = [
  { ...rowFor('ws'), label: 'raw ws, heartbeat by hand' },
  { ...rowFor('rxjs'), label: 'rxjs webSocket(), heartbeat by hand' },
  { ...rowFor('partysocket'), label: 'partysocket, heartbeat by hand' },
  { ...rowFor('ours-codec'), label: 'ours, heartbeat()' },
  { ...rowFor('connect-codec'), label: 'ours, connect({ heartbeat })' },
  {
    key: 'ws-none',
    variant: 'ws',
    label: 'raw ws, no heartbeat (what ws, rxjs and partysocket do by default)',
    extra: { heartbeat: false },
  },
];

async function dead(context: Context): Promise<BenchReport> {
  const { sessions: size, interval, timeout } = context.profile.dead;
  // How long past the bound a client is watched before a session counts as missed. Generous: the
  // watch ends as soon as every session noticed, and a stalled machine (CI) must not fake a miss.
  // Rows without a heartbeat never notice: they are watched only as long as the report says.
  const graceMs = Math.max(500, interval);
  const heartbeatGraceMs = Math.max(5_000, interval);
  const bound = interval + timeout;
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, DEAD_ROWS, async (row) => {
      const result = await client(context, {
        bench: 'dead',
        variant: row.variant,
        url: server.url,
        sessions: size,
        interval,
        timeout,
        graceMs: row.extra?.heartbeat === false ? graceMs : heartbeatGraceMs,
        heartbeat: row.extra?.heartbeat !== false,
      });
      await server.sweepHalfOpen();
      await server.drained(10_000);
      if (result.timedOut) throw new Error(`only ${String(result.authenticated)} of ${size} sessions authenticated`);
      return result;
    }),
  );
  const samples = (row: Row) => (values.get(row.key) ?? []).flatMap((run) => (run ? (run.noticedMs as (number | null)[]) : []));
  const rows = DEAD_ROWS.map((row) => {
    const all = samples(row);
    const noticed = all.filter((value): value is number => value !== null);
    const within = noticed.filter((value) => value <= bound + 100).length;
    return [
      row.label,
      formatSpread(spread(noticed), 0),
      formatNumber(quantile(noticed, 0.99), 0),
      `${within}/${all.length}`,
      `${all.length - noticed.length}`,
    ];
  });
  const targets: Target[] = (['ours-codec', 'connect-codec'] as const).map((key) => {
    const ours = samples(rowFor(key));
    const noticed = ours.filter((value): value is number => value !== null);
    return {
      what: `dead connection noticed (${key === 'ours-codec' ? 'ours' : 'connect'}), every time`,
      target: `<= interval + timeout + 100 = ${bound + 100} ms`,
      measured: ours.length
        ? `max ${formatNumber(Math.max(...noticed), 0)} ms, ${ours.length - noticed.length} missed of ${ours.length}`
        : '-',
      met: ours.length > 0 && noticed.length === ours.length && Math.max(...noticed) <= bound + 100,
    };
  });
  const markdown = [
    `${size} sessions per run, heartbeat interval ${interval} ms and pong timeout ${timeout} ms (bound: ${bound} ms). Each session, at a random phase of its ping interval, asks the server to go half-open (the server stops reading and writing that socket; TCP stays up). Time from that request until the client declares the connection dead; ${context.profile.runs} runs x ${size} sessions = ${context.profile.runs * size} samples per client; clients with a heartbeat are watched for up to ${bound + heartbeatGraceMs} ms after the fault (until every session noticed), those without for ${bound + graceMs} ms.`,
    '',
    table(['client', 'noticed after (ms), median (min-max)', 'p99 (ms)', `within ${bound + 100} ms`, 'never noticed'], rows),
  ].join('\n');
  return report('dead', context, { sessions: size, interval, timeout }, markdown, targets, errors, values);
}

// ---------------------------------------------------------------------------------------------
// 6. Bundle
// ---------------------------------------------------------------------------------------------

async function bundle(context: Context): Promise<BenchReport> {
  const { rows, skipped } = await bundleSizes();
  const ours = rows.find((row) => row.id === 'ours-main');
  const targets: Target[] = ours
    ? [
        {
          what: 'bundle: main entry, min+gzip, peers external',
          target: '< 3 KB (3,072 B)',
          measured: `${formatNumber(ours.gzipBytes)} B`,
          met: ours.gzipBytes < 3072,
        },
      ]
    : [];
  const markdown = [
    'esbuild, ESM, `platform: browser`, `target: es2022`, minified and tree-shaken; gzip level 9. Bytes.',
    '',
    table(
      ['bundle', 'minified', 'min + gzip'],
      rows.map((row) => [row.label, formatNumber(row.minBytes), formatNumber(row.gzipBytes)]),
    ),
    ...(skipped.length ? ['', `Skipped: ${skipped.join('; ')}.`] : []),
  ].join('\n');
  return report('bundle', context, {}, markdown, targets, [], rows);
}

// ---------------------------------------------------------------------------------------------
// 7. In-process overhead (not in the list: the steady figure behind the throughput ratios)
// ---------------------------------------------------------------------------------------------

async function overhead(context: Context): Promise<BenchReport> {
  const { frames, rounds } = context.profile.overhead;
  const errors: string[] = [];
  let best = new Map<string, number>();
  try {
    const result = await client(context, { bench: 'overhead', variant: '-', frames, rounds });
    best = new Map(Object.entries(result).map(([id, ns]) => [id, Number(ns)]));
  } catch (error) {
    errors.push((error as Error).message);
  }
  const markdown = [
    `Every consumer is fed the same ~300-byte chat frames by a scripted socket, in one fresh process: no network, no \`ws\`, so what is left is JSON.parse plus the consumer's own work. Blocks of ${frames.toLocaleString('en-US')} frames, ${rounds} per consumer, interleaved; each figure is the consumer's fastest block (the one nothing else on the machine interrupted).`,
    '',
    overheadTable(best),
  ].join('\n');
  return report('overhead', context, { frames, rounds }, markdown, [], errors, Object.fromEntries(best));
}

// ---------------------------------------------------------------------------------------------
// 8. Memory by stage (not in the list: where the per-session memory of benchmark 3 goes)
// ---------------------------------------------------------------------------------------------

async function memory(context: Context): Promise<BenchReport> {
  const { sessions: size } = context.profile.memory;
  const { window, heartbeatMs, settleMs } = context.profile.sessions;
  const rows: Row[] = [rowFor('ws'), ...STAGE_VARIANTS.map((stage) => rowFor(stage.id)), rowFor('ours-codec'), rowFor('connect-codec')];
  const { values, errors } = await withServer(context, (server) =>
    interleave(context, rows, async (row) => {
      const result = await client(
        context,
        {
          bench: 'sessions',
          variant: row.variant,
          url: server.url,
          sessions: size,
          window,
          heartbeatMs,
          settleMs,
          boundMs: 30_000 + size * 10,
        },
        ['--expose-gc'],
      );
      await server.drained(60_000);
      if (result.timedOut) throw new Error(`only ${String(result.sessions)} of ${size} sessions authenticated in time`);
      return result;
    }),
  );
  const kb = (row: Row, field: string) => numbers(values, row, field).map((bytes) => bytes / 1024);
  let previous: number | undefined;
  const table_ = rows.map((row, index) => {
    const heap = spread(kb(row, 'heapPerSessionBytes'));
    const added = index === 0 || row.variant.startsWith('connect') || previous === undefined ? '' : formatNumber(heap.median - previous, 1);
    if (!row.variant.startsWith('connect')) previous = heap.median;
    return [row.label, formatSpread(heap, 1), added, formatSpread(spread(kb(row, 'rssPerSessionBytes')), 1)];
  });
  const markdown = [
    `${size.toLocaleString('en-US')} authenticated sessions in one client process (as in benchmark 3), the README pipeline cut after each operator; each row adds one to the row above. Heap and RSS above the empty process after 3 forced GCs, KB per session, median (min-max) of ${context.profile.runs} runs.`,
    '',
    table(['pipeline', 'heap KB/session', 'heap added by this step', 'RSS KB/session'], table_),
  ].join('\n');
  return report('memory', context, { sessions: size }, markdown, [], errors, values);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type RunResult = Record<string, unknown>;

function rowFor(key: string): Row {
  return { key, variant: key, label: variantById(key).label };
}

async function withServer<T>(context: Context, body: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await context.launcher.startServer();
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

/**
 * Runs every row once per round, rows in order within a round (A B C A B C ...). A failed
 * measurement is recorded as `undefined` and reported, and the benchmark goes on.
 */
async function interleave(
  context: Context,
  rows: readonly Row[],
  measure: (row: Row, round: number) => Promise<RunResult>,
): Promise<{ values: Map<string, (RunResult | undefined)[]>; errors: string[] }> {
  const values = new Map<string, (RunResult | undefined)[]>(rows.map((row) => [row.key, []]));
  const errors: string[] = [];
  for (let round = 0; round < context.profile.runs; round++) {
    for (const row of rows) {
      const started = Date.now();
      try {
        values.get(row.key)!.push(await measure(row, round));
        context.log(`  round ${round + 1}/${context.profile.runs} ${row.key}: ${Date.now() - started} ms`);
      } catch (error) {
        values.get(row.key)!.push(undefined);
        const message = `round ${round + 1}, ${row.key}: ${(error as Error).message}`;
        errors.push(message);
        context.log(`  ${message}`);
      }
    }
  }
  return { values, errors };
}

function client(
  context: Context,
  task: ClientTask,
  execArgv: string[] = [],
  onMessage?: (message: Record<string, unknown>) => void,
): Promise<RunResult> {
  return context.launcher.runClient(task, { boundMs: 180_000, execArgv, ...(onMessage ? { onMessage } : {}) });
}

/** One number per round (NaN for a failed round, so rounds stay aligned for the ratios). */
function numbers(values: Map<string, (RunResult | undefined)[]>, row: Row, field: string): number[] {
  return (values.get(row.key) ?? []).map((run) => (run ? Number(run[field]) : NaN));
}

function target(what: string, goal: string, measured: Spread, test: (value: number) => boolean, on: 'median' | 'max' = 'median'): Target {
  const value = on === 'max' ? measured.max : measured.median;
  return {
    what,
    target: goal,
    measured: measured.n ? `${formatSpread(measured, 2)}${on === 'max' ? ' (target on the worst run)' : ''}` : '-',
    met: measured.n > 0 && test(value),
  };
}

function report(
  name: string,
  context: Context,
  params: unknown,
  markdown: string,
  targets: Target[],
  errors: string[],
  values: unknown,
): BenchReport {
  const raw = values instanceof Map ? Object.fromEntries(values) : values;
  return {
    name,
    title: BENCHMARKS[name]!.title,
    params: { profile: context.profile.name, runs: context.profile.runs, ...(params as object) },
    markdown,
    targets,
    errors,
    raw,
  };
}
