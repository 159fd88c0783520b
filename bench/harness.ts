/**
 * Process plumbing for the benchmarks: builds the server and client entries once with esbuild
 * (the library bundled from source, packages left as imports), forks the server and one fresh
 * client process per measurement, and bounds every wait.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ClientTask } from './client.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');
const BUILD_DIR = join(RESULTS_DIR, 'build');

/** Bundles bench/server.ts and bench/client.ts to plain ESM (fast start, readable CPU profiles). */
export async function buildEntries(): Promise<{ server: string; client: string }> {
  mkdirSync(BUILD_DIR, { recursive: true });
  await build({
    entryPoints: { server: join(BENCH_DIR, 'server.ts'), client: join(BENCH_DIR, 'client.ts') },
    outdir: BUILD_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  return { server: join(BUILD_DIR, 'server.mjs'), client: join(BUILD_DIR, 'client.mjs') };
}

export interface BenchServer {
  readonly url: string;
  stats(): Promise<{ connections: number; authenticated: number; accepted: number }>;
  restart(downMs: number): Promise<void>;
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
    drained: async (boundMs = 30_000) => {
      const until = Date.now() + boundMs;
      while (Date.now() < until) {
        if ((await server.stats()).connections === 0) return true;
        await sleep(100);
      }
      return false;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'exit' });
      await bounded(exited, 5_000, 'bench server did not exit').catch(() => child.kill('SIGKILL'));
    },
  };
  return server;
}

export interface ClientRun {
  readonly result: Record<string, unknown>;
  readonly child: ChildProcess;
}

/**
 * Forks one client process for one task and resolves with its result. `onMessage` sees the
 * client's other IPC messages (the storm's 'ready'). The process is killed after `boundMs`.
 */
export async function runClient(
  entry: string,
  task: ClientTask,
  options: { boundMs: number; execArgv?: string[]; onMessage?: (message: Record<string, unknown>) => void },
): Promise<Record<string, unknown>> {
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
