/**
 * The bench server: a small purpose-built `ws` server on 127.0.0.1, run in its own child process
 * (forked by bench/harness.ts with an IPC channel). It speaks bench/protocol.ts and takes commands
 * from the parent:
 *
 *   { cmd: 'stats' }              -> { type: 'stats', connections, authenticated, accepted }
 *   { cmd: 'restart', downMs }    -> terminates every socket, stops listening for downMs, listens
 *                                    again on the same port, then { type: 'restarted' }
 *   { cmd: 'exit' }               -> exits
 *
 * Floods bypass `ws`'s sender: the frames are built once and written to the TCP socket in large
 * chunks, so the server costs next to nothing and the client is always the bottleneck.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { chatMessage } from './protocol.js';

const HOST = '127.0.0.1';
/** Accept queue; the kernel caps it at net.core.somaxconn. */
const BACKLOG = 8192;
/** Frames per pre-built flood chunk (~320 KB). */
const CHUNK_FRAMES = 1000;

interface Session {
  authenticated: boolean;
  halfOpen: boolean;
}

const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 64 * 1024 });
const sessions = new Map<WebSocket, Session>();
const rawSockets = new Set<Socket>();
let server: Server | undefined;
let port = Number(process.argv[2] ?? 0);
let accepted = 0;
let nextSessionId = 0;

const PONG = JSON.stringify({ type: 'pong' });
const echoCache = new Map<number, string>();
const flood = buildFloodChunk();

await listen();
send({ type: 'listening', port });

process.on('message', (message: { cmd: string; downMs?: number }) => {
  switch (message.cmd) {
    case 'stats':
      send({ type: 'stats', connections: sessions.size, authenticated: countAuthenticated(), accepted });
      return;
    case 'restart':
      void restart(message.downMs ?? 0).then(() => send({ type: 'restarted' }));
      return;
    case 'exit':
      process.exit(0);
  }
});
// The parent is gone: never outlive it.
process.on('disconnect', () => process.exit(0));

function onConnection(ws: WebSocket): void {
  const session: Session = { authenticated: false, halfOpen: false };
  sessions.set(ws, session);
  accepted++;
  ws.on('message', (data, isBinary) => onMessage(ws, session, data, isBinary));
  ws.on('close', () => sessions.delete(ws));
  ws.on('error', () => undefined);
}

function onMessage(ws: WebSocket, session: Session, data: RawData, isBinary: boolean): void {
  if (session.halfOpen) return;
  let frame: { type?: unknown; token?: unknown; count?: unknown; id?: unknown };
  try {
    frame = JSON.parse(isBinary ? '' : (data as Buffer).toString('utf8')) as typeof frame;
  } catch {
    ws.close(1007, 'invalid frame');
    return;
  }
  if (!session.authenticated) {
    if (frame.type !== 'auth' || typeof frame.token !== 'string') {
      ws.close(4401, 'auth first');
      return;
    }
    session.authenticated = true;
    ws.send(JSON.stringify({ type: 'auth_ok', sessionId: `s-${++nextSessionId}`, expiresAt: Date.now() + 3_600_000 }));
    return;
  }
  switch (frame.type) {
    case 'ping':
      ws.send(PONG);
      return;
    case 'echo':
      ws.send(echo(Number(frame.id)));
      return;
    case 'flood':
      void floodTo(ws, Number(frame.count));
      return;
    case 'halfopen':
      // Stop reading (TCP keeps the connection up, the kernel buffers then the window fill) and never write again.
      session.halfOpen = true;
      ws.pause();
      return;
    case 'auth':
      ws.send(JSON.stringify({ type: 'auth_ok', sessionId: `s-${++nextSessionId}`, expiresAt: Date.now() + 3_600_000 }));
      return;
    default:
      ws.close(1008, 'unknown frame');
  }
}

function echo(id: number): string {
  let frame = echoCache.get(id % 1000);
  if (frame === undefined) {
    frame = JSON.stringify(chatMessage(id % 1000));
    echoCache.set(id % 1000, frame);
  }
  return frame;
}

/** Writes `count` chat frames straight to the TCP socket, waiting for 'drain' whenever the kernel is full. */
async function floodTo(ws: WebSocket, count: number): Promise<void> {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  let remaining = Number.isFinite(count) && count > 0 ? Math.min(count, 10_000_000) : 0;
  while (remaining > 0 && !socket.destroyed) {
    const frames = Math.min(CHUNK_FRAMES, remaining);
    const chunk = frames === CHUNK_FRAMES ? flood.buffer : flood.buffer.subarray(0, flood.offsets[frames]);
    remaining -= frames;
    if (!socket.write(chunk)) await drainOrClose(socket);
  }
}

function drainOrClose(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** CHUNK_FRAMES unmasked server-to-client text frames of distinct chat messages, back to back. */
function buildFloodChunk(): { buffer: Buffer; offsets: number[] } {
  const frames: Buffer[] = [];
  const offsets = [0];
  for (let id = 0; id < CHUNK_FRAMES; id++) {
    const payload = Buffer.from(JSON.stringify(chatMessage(id)), 'utf8');
    const header =
      payload.length < 126
        ? Buffer.from([0x81, payload.length])
        : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
    frames.push(header, payload);
    offsets.push(offsets[offsets.length - 1]! + header.length + payload.length);
  }
  return { buffer: Buffer.concat(frames), offsets };
}

async function listen(): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const candidate = createServer((_request, response) => response.writeHead(426).end());
    candidate.on('connection', (socket) => {
      rawSockets.add(socket);
      socket.once('close', () => rawSockets.delete(socket));
    });
    candidate.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, onConnection));
    try {
      await new Promise<void>((resolve, reject) => {
        candidate.once('error', reject);
        candidate.listen({ host: HOST, port, backlog: BACKLOG }, () => {
          candidate.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
      await sleep(20);
      continue;
    }
    server = candidate;
    port = (candidate.address() as { port: number }).port;
    return;
  }
}

/** A server restart as clients see it: every socket dropped (1006), the port refusing for downMs, then back. */
async function restart(downMs: number): Promise<void> {
  const closing = server;
  server = undefined;
  const closed = closing ? new Promise<void>((resolve) => closing.close(() => resolve())) : Promise.resolve();
  for (const ws of sessions.keys()) ws.terminate();
  for (const socket of rawSockets) socket.destroy();
  sessions.clear();
  await closed;
  if (downMs > 0) await sleep(downMs);
  await listen();
}

function countAuthenticated(): number {
  let count = 0;
  for (const session of sessions.values()) if (session.authenticated) count++;
  return count;
}

function send(message: object): void {
  process.send?.(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
