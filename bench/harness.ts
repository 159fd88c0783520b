/**
 * Plumbing for the benchmarks. `npm run bench` and the smoke spec use {@link processLauncher}: it
 * builds the server and client entries once with esbuild (the library bundled from source, packages
 * left as imports), forks the server and one fresh client process per measurement, and bounds every
 * wait.
 */
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ClientTask } from './client.js';
import type { ServerStats } from './server.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');
const BUILD_DIR = join(RESULTS_DIR, 'build');

/** Starts bench servers and runs client tasks, each in its own process. */
export interface Launcher {
  startServer(): Promise<BenchServer>;
  runClient(task: ClientTask, options: ClientOptions): Promise<Record<string, unknown>>;
}

export interface ClientOptions {
  /** The task is abandoned (its process killed) after this long. */
  readonly boundMs: number;
  /** Node flags of the client process. */
  readonly execArgv?: string[];
  /** The client's other messages (the storm's 'ready'). */
  readonly onMessage?: (message: Record<string, unknown>) => void;
}

/** Server in its own process, each client task in a fresh process. */
export async function processLauncher(options: { readonly buildDir?: string } = {}): Promise<Launcher> {
  const entries = await buildEntries(options.buildDir);
  return {
    startServer: () => startServer(entries.server),
    runClient: (task, options) => runClient(entries.client, task, options),
  };
}

/**
 * Bundles bench/server-main.ts and bench/client-main.ts to plain ESM (fast start, readable CPU
 * profiles) in `buildDir`, which must be inside the project: the bundles import its node_modules.
 */
export async function buildEntries(buildDir = BUILD_DIR): Promise<{ server: string; client: string }> {
  mkdirSync(buildDir, { recursive: true });
  await build({
    entryPoints: { server: join(BENCH_DIR, 'server-main.ts'), client: join(BENCH_DIR, 'client-main.ts') },
    outdir: buildDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return { server: join(buildDir, 'server.mjs'), client: join(buildDir, 'client.mjs') };
}

export interface BenchServer {
  readonly url: string;
  stats(): Promise<ServerStats>;
  restart(downMs: number): Promise<void>;
  /** Destroys the half-open sockets the dead-connection bench leaves behind. */
  sweepHalfOpen(): Promise<void>;
  /** Resolves once no connection is left (bounded); true when none is. */
  drained(boundMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Forks the bench server and resolves once it listens on 127.0.0.1. */
export async function startServer(entry: string): Promise<BenchServer> {
  const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map<string, (message: Record<string, unknown>) => void>();
  child.on('message', (message: Record<string, unknown>) => {
    const waiter = waiters.get(message.type as string);
    waiters.delete(message.type as string);
    waiter?.(message);
  });
  const reply = (type: string, boundMs = 30_000) =>
    bounded(
      new Promise<Record<string, unknown>>((resolve) => waiters.set(type, resolve)),
      boundMs,
      `bench server: no '${type}' within ${boundMs} ms`,
    );
  const listening = await reply('listening', 10_000);
  const url = `ws://127.0.0.1:${listening.port as number}`;
  const server: BenchServer = {
    url,
    stats: async () => {
      const answer = reply('stats');
      child.send({ cmd: 'stats' });
      return (await answer) as unknown as Awaited<ReturnType<BenchServer['stats']>>;
    },
    restart: async (downMs) => {
      const answer = reply('restarted');
      child.send({ cmd: 'restart', downMs });
      await answer;
    },
    sweepHalfOpen: async () => {
      const answer = reply('swept');
      child.send({ cmd: 'sweep' });
      await answer;
    },
    drained: (boundMs) => drained(server, boundMs),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'exit' });
      await bounded(exited, 5_000, 'bench server did not exit').catch(() => child.kill('SIGKILL'));
    },
  };
  return server;
}

/**
 * Forks one client process for one task and resolves with its result. `onMessage` sees the
 * client's other IPC messages (the storm's 'ready'). The process is killed after `boundMs`.
 */
export async function runClient(entry: string, task: ClientTask, options: ClientOptions): Promise<Record<string, unknown>> {
  const child = fork(entry, [JSON.stringify(task)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: options.execArgv ?? [],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'result') resolve(message.result as Record<string, unknown>);
      else options.onMessage?.(message);
    });
    child.once('exit', (code) => reject(new Error(`client ${task.variant} exited with ${code} before reporting`)));
  });
  try {
    return await bounded(result, options.boundMs, `client ${task.variant} (${task.bench}) took over ${options.boundMs} ms`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    if (child.exitCode === null) {
      const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(late);
    }
  }
}

/** Resolves once the server has no live connection left (bounded); true when none is. */
async function drained(server: BenchServer, boundMs = 30_000): Promise<boolean> {
  const until = Date.now() + boundMs;
  while (Date.now() < until) {
    if ((await server.stats()).connections === 0) return true;
    await sleep(50);
  }
  return false;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection with `message` after `ms`; the timer never outlives it. */
export async function bounded<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
