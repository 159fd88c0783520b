#!/usr/bin/env node
/**
 * The `rxjs-socket-pipeline` command (package.json `bin`). Only wiring: the process's streams,
 * environment, Ctrl-C and a WebSocket implementation (`ws`, else the runtime's own) handed to
 * {@link runCli}, which does the work and is what the specs run.
 */
import type { WebSocketCtor } from '../web-socket-like.js';
import { runCli } from './cli.js';

/** How long a finished probe may wait for its closing handshake before the process exits anyway. */
const EXIT_GRACE_MS = 1000;

async function webSocketImplementation(): Promise<WebSocketCtor | undefined> {
  try {
    const ws = await import('ws');
    return ws.WebSocket as unknown as WebSocketCtor;
  } catch {
    return (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  }
}

async function main(): Promise<void> {
  const aborter = new AbortController();
  process.once('SIGINT', () => aborter.abort());
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    WebSocketCtor: await webSocketImplementation(),
    signal: aborter.signal,
  });
  process.exitCode = code;
  // A server that never answers our close must not keep the process alive.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`rxjs-socket-pipeline: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
