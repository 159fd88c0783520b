/**
 * The bench server: a small purpose-built `ws` server on 127.0.0.1 speaking bench/protocol.ts.
 * The benchmarks run it in its own process (bench/server-main.ts, commands over IPC), driven
 * through {@link BenchServerCore}.
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
const PONG = JSON.stringify({ type: 'pong' });

/** What the server counts. Half-open sockets (asked for by the dead-connection bench) are not live. */
export interface ServerStats {
  readonly connections: number;
  readonly authenticated: number;
  readonly accepted: number;
  readonly halfOpen: number;
}

/** The server's controls, driven over IPC by the launcher. */
export interface BenchServerCore {
  readonly port: number;
  stats(): ServerStats;
  /** Terminates every socket, refuses connections for `downMs`, then listens again on the same port. */
  restart(downMs: number): Promise<void>;
  /** Destroys the half-open sockets: their clients are gone, but a paused socket never notices. */
  sweepHalfOpen(): void;
  close(): Promise<void>;
}

interface Session {
  authenticated: boolean;
  halfOpen: boolean;
}

const flood = buildFloodChunk();
const echoCache = new Map<number, string>();

/** Starts a bench server on 127.0.0.1 (`initialPort` 0: any free port). */
export async function startBenchServer(initialPort = 0): Promise<BenchServerCore> {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const sessions = new Map<WebSocket, Session>();
  const rawSockets = new Set<Socket>();
  let server: Server | undefined;
  let port = initialPort;
  let accepted = 0;
  let nextSessionId = 0;

  const authOk = () => JSON.stringify({ type: 'auth_ok', sessionId: `s-${++nextSessionId}`, expiresAt: Date.now() + 3_600_000 });

  const onConnection = (ws: WebSocket) => {
    const session: Session = { authenticated: false, halfOpen: false };
    sessions.set(ws, session);
    accepted++;
    ws.on('message', (data, isBinary) => onMessage(ws, session, data, isBinary));
    ws.on('close', () => sessions.delete(ws));
    ws.on('error', () => undefined);
  };

  const onMessage = (ws: WebSocket, session: Session, data: RawData, isBinary: boolean) => {
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
      ws.send(authOk());
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
        // Stop reading (TCP stays up: the kernel buffers, then the window fills) and never write again.
        session.halfOpen = true;
        ws.pause();
        return;
      case 'auth':
        ws.send(authOk());
        return;
      default:
        ws.close(1008, 'unknown frame');
    }
  };

  const listen = async () => {
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
  };

  /** Drops every socket (clients see 1006) and stops listening. */
  const shutDown = async () => {
    const closing = server;
    server = undefined;
    const closed = closing ? new Promise<void>((resolve) => closing.close(() => resolve())) : Promise.resolve();
    for (const ws of sessions.keys()) ws.terminate();
    for (const socket of rawSockets) socket.destroy();
    sessions.clear();
    await closed;
  };

  await listen();
  return {
    get port() {
      return port;
    },
    stats: () => {
      let authenticated = 0;
      let halfOpen = 0;
      for (const session of sessions.values()) {
        if (session.halfOpen) halfOpen++;
        else if (session.authenticated) authenticated++;
      }
      return { connections: sessions.size - halfOpen, authenticated, accepted, halfOpen };
    },
    restart: async (downMs) => {
      await shutDown();
      if (downMs > 0) await sleep(downMs);
      await listen();
    },
    sweepHalfOpen: () => {
      for (const [ws, session] of sessions) {
        if (!session.halfOpen) continue;
        sessions.delete(ws);
        ws.terminate();
      }
    },
    close: shutDown,
  };
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
      payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
    frames.push(header, payload);
    offsets.push(offsets[offsets.length - 1]! + header.length + payload.length);
  }
  return { buffer: Buffer.concat(frames), offsets };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
