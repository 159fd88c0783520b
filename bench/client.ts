/**
 * One client variant running one benchmark task. The benchmarks (and their smoke spec) run each
 * task in a fresh process (bench/client-main.ts), which calls {@link runTask}. Every wait is bounded: a task that runs out of time reports what it saw with
 * `timedOut: true`.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket, type ClientOptions } from 'ws';
import { measureOverhead } from './overhead.js';
import { variant, type Session, type SessionOptions, type Variant } from './variants.js';

export type ClientTask =
  | { readonly bench: 'throughput'; readonly variant: string; readonly url: string; readonly count: number; readonly boundMs: number }
  | {
      readonly bench: 'latency';
      readonly variant: string;
      readonly url: string;
      readonly count: number;
      readonly warmup: number;
      readonly boundMs: number;
    }
  | {
      readonly bench: 'sessions';
      readonly variant: string;
      readonly url: string;
      readonly sessions: number;
      /** Sessions connecting at once; the next opens when one is authenticated. */
      readonly window: number;
      readonly heartbeatMs: number;
      /** Pause after the last session authenticated, before memory is measured. */
      readonly settleMs: number;
      readonly boundMs: number;
    }
  | {
      readonly bench: 'storm';
      readonly variant: string;
      readonly url: string;
      readonly sessions: number;
      readonly window: number;
      readonly initialDelay: number;
      readonly maxDelay: number;
      /** How long to wait, after the drop, for everyone to be back. */
      readonly boundMs: number;
    }
  | {
      readonly bench: 'dead';
      readonly variant: string;
      readonly url: string;
      readonly sessions: number;
      readonly interval: number;
      readonly timeout: number;
      /** How long to wait, after the last fault, beyond interval + timeout. */
      readonly graceMs: number;
      /** false: no heartbeat at all (the peers' default), to show what happens then. */
      readonly heartbeat: boolean;
    }
  | {
      /** The in-process cost per frame of each consumer (bench/overhead.ts); `variant` is ignored. */
      readonly bench: 'overhead';
      readonly variant: string;
      readonly frames: number;
      readonly rounds: number;
    };

/** Sends a message to the parent (the storm's 'ready'); a no-op when nobody listens. */
export type Notify = (message: Record<string, unknown>) => void;

/** Runs one task with one client variant and resolves with what it measured. */
export async function runTask(task: ClientTask, notify: Notify = noop): Promise<Record<string, unknown>> {
  if (task.bench === 'overhead') return Object.fromEntries(measureOverhead({ frames: task.frames, rounds: task.rounds }));
  const client = variant(task.variant);
  switch (task.bench) {
    case 'throughput':
      return throughput(client, task);
    case 'latency':
      return latency(client, task);
    case 'sessions':
      return sessions(client, task);
    case 'storm':
      return storm(client, task, notify);
    case 'dead':
      return dead(client, task);
  }
}

const now = () => performance.now();

function baseOptions(url: string): SessionOptions {
  return { url, WebSocketCtor: WebSocket, heartbeat: { interval: 25_000, timeout: 10_000 }, reconnect: false, deadline: 10_000 };
}

async function throughput(client: Variant, config: Extract<ClientTask, { bench: 'throughput' }>) {
  let received = 0;
  let checksum = 0;
  let done: () => void = noop;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const ready = deferred();
  const session = client.open(baseOptions(config.url), {
    onAuthenticated: ready.resolve,
    onMessage: (value) => {
      checksum += (value as { id: number }).id;
      if (++received === config.count) done();
    },
  });
  if (!(await within(ready.promise, config.boundMs))) return { timedOut: true, phase: 'auth' };
  const started = now();
  const cpuBefore = process.cpuUsage();
  session.send({ type: 'flood', count: config.count });
  const completed = await within(finished, config.boundMs);
  const elapsedMs = now() - started;
  // CPU time the client spent, a steadier figure than wall time on a machine shared with other work.
  const cpu = process.cpuUsage(cpuBefore);
  session.close();
  return {
    timedOut: !completed,
    received,
    elapsedMs,
    msgsPerSec: (received / elapsedMs) * 1000,
    cpuUsPerMsg: (cpu.user + cpu.system) / Math.max(received, 1),
    checksum,
  };
}

async function latency(client: Variant, config: Extract<ClientTask, { bench: 'latency' }>) {
  const samples = new Float64Array(config.count);
  const total = config.warmup + config.count;
  let index = 0;
  let sentAt = 0;
  let done: () => void = noop;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const ready = deferred();
  const next = () => {
    sentAt = now();
    session.send({ type: 'echo', id: index });
  };
  const session: Session = client.open(baseOptions(config.url), {
    onAuthenticated: ready.resolve,
    onMessage: () => {
      const elapsed = now() - sentAt;
      if (index >= config.warmup) samples[index - config.warmup] = elapsed;
      if (++index === total) done();
      else next();
    },
  });
  if (!(await within(ready.promise, config.boundMs))) return { timedOut: true, phase: 'auth' };
  next();
  const completed = await within(finished, config.boundMs);
  session.close();
  const measured = Array.from(samples.subarray(0, Math.max(0, index - config.warmup))).sort((a, b) => a - b);
  const pick = (q: number) => (measured.length ? measured[Math.min(measured.length - 1, Math.floor(q * measured.length))]! * 1000 : NaN);
  return { timedOut: !completed, roundTrips: measured.length, p50Us: pick(0.5), p90Us: pick(0.9), p99Us: pick(0.99), maxUs: pick(1) };
}

async function sessions(client: Variant, config: Extract<ClientTask, { bench: 'sessions' }>) {
  const gc = (globalThis as { gc?: () => void }).gc ?? noop;
  await settleMemory(gc);
  const before = process.memoryUsage();
  const options: SessionOptions = {
    ...baseOptions(config.url),
    heartbeat: { interval: config.heartbeatMs, timeout: 10_000 },
    deadline: 60_000,
  };
  const opened: Session[] = [];
  let authenticated = 0;
  let reauthenticated = 0;
  const all = deferred();
  const started = now();
  const openOne = () => {
    const index = opened.length;
    let seen = false;
    opened.push(
      client.open(options, {
        onAuthenticated: () => {
          if (seen) {
            reauthenticated++;
            return;
          }
          seen = true;
          authenticated++;
          if (opened.length < config.sessions) openOne();
          if (authenticated === config.sessions) all.resolve();
        },
      }),
    );
    return index;
  };
  for (let i = 0; i < Math.min(config.window, config.sessions); i++) openOne();
  const completed = await within(all.promise, config.boundMs);
  const authMs = now() - started;
  await new Promise((resolve) => setTimeout(resolve, config.settleMs));
  await settleMemory(gc);
  const after = process.memoryUsage();
  for (const session of opened) session.close();
  const n = Math.max(authenticated, 1);
  return {
    timedOut: !completed,
    sessions: authenticated,
    authMs,
    reconnects: reauthenticated,
    baseRssBytes: before.rss,
    baseHeapBytes: before.heapUsed,
    rssBytes: after.rss,
    heapBytes: after.heapUsed,
    rssPerSessionBytes: (after.rss - before.rss) / n,
    heapPerSessionBytes: (after.heapUsed - before.heapUsed) / n,
    externalPerSessionBytes: (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n,
  };
}

async function storm(client: Variant, config: Extract<ClientTask, { bench: 'storm' }>, notify: Notify) {
  let armed = false;
  let droppedAt: number | undefined;
  const attempts: number[] = [];
  const onClose = () => {
    if (armed) droppedAt ??= now();
  };
  // Every variant's sockets come from this class, so attempts and drops are seen the same way for all.
  class CountingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[], options?: ClientOptions) {
      super(address, protocols, options);
      if (armed) attempts.push(now());
      this.on('close', onClose);
    }
  }
  const options: SessionOptions = {
    ...baseOptions(config.url),
    WebSocketCtor: CountingWebSocket,
    reconnect: { initialDelay: config.initialDelay, maxDelay: config.maxDelay },
    deadline: 30_000,
  };
  const opened: Session[] = [];
  const back = new Set<number>();
  let lastBackAt = 0;
  let authenticated = 0;
  const ready = deferred();
  const allBack = deferred();
  const openOne = () => {
    const index = opened.length;
    let first = true;
    opened.push(
      client.open(options, {
        onAuthenticated: () => {
          if (first) {
            first = false;
            if (opened.length < config.sessions) openOne();
            if (++authenticated === config.sessions) ready.resolve();
            return;
          }
          if (!armed) return;
          back.add(index);
          lastBackAt = now();
          if (back.size === config.sessions) allBack.resolve();
        },
      }),
    );
  };
  for (let i = 0; i < Math.min(config.window, config.sessions); i++) openOne();
  if (!(await within(ready.promise, 60_000))) return { timedOut: true, phase: 'connect', authenticated };
  armed = true;
  notify({ type: 'ready' });
  const completed = await within(allBack.promise, config.boundMs + 30_000);
  for (const session of opened) session.close();
  const t0 = droppedAt ?? NaN;
  return {
    timedOut: !completed,
    sessions: config.sessions,
    back: back.size,
    backMs: lastBackAt - t0,
    attemptsMs: attempts.filter((at) => at >= t0).map((at) => Math.round((at - t0) * 10) / 10),
  };
}

async function dead(client: Variant, config: Extract<ClientTask, { bench: 'dead' }>) {
  const options: SessionOptions = {
    ...baseOptions(config.url),
    heartbeat: config.heartbeat ? { interval: config.interval, timeout: config.timeout } : false,
  };
  const faultAt: number[] = [];
  const noticedMs: (number | null)[] = Array.from({ length: config.sessions }, () => null);
  let authenticated = 0;
  const ready = deferred();
  const opened = Array.from({ length: config.sessions }, (_, index) => {
    let first = true;
    return client.open(options, {
      onAuthenticated: () => {
        if (!first) return;
        first = false;
        if (++authenticated === config.sessions) ready.resolve();
      },
      onDead: () => {
        if (faultAt[index] !== undefined && noticedMs[index] === null) noticedMs[index] = now() - faultAt[index]!;
      },
    });
  });
  if (!(await within(ready.promise, 30_000))) return { timedOut: true, phase: 'auth', authenticated };
  // Each session goes half-open at a random phase of its ping interval.
  await Promise.all(
    opened.map(
      (session, index) =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            faultAt[index] = now();
            session.send({ type: 'halfopen' });
            resolve();
          }, Math.random() * config.interval),
        ),
    ),
  );
  const deadline = now() + config.interval + config.timeout + config.graceMs;
  while (now() < deadline && noticedMs.some((value) => value === null)) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const session of opened) session.close();
  return { boundMs: config.interval + config.timeout, noticedMs, missed: noticedMs.filter((value) => value === null).length };
}

// ---------------------------------------------------------------------------------------------

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = noop;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Whether `promise` settled within `ms`; never leaves the timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = await Promise.race([promise.then(() => true as const), timedOut]);
  clearTimeout(timer);
  return settled;
}

async function settleMemory(gc: () => void): Promise<void> {
  if (gc === noop) return; // no --expose-gc: the memory figures mean nothing anyway
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function noop(): void {}
