import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/**
 * One entry of a protocol gateway's timeline; never holds a token or a channel URL.
 *
 * @example
 * const closes: ProtocolGatewayEvent[] = gateway.events.filter((event) => event.kind === 'close');
 * console.log(closes.map((event) => `${event.connectionId}: ${event.code} ${event.detail}`));
 * // [ '1: 1000 closed by client' ]
 */
export interface ProtocolGatewayEvent {
  /** Milliseconds since the gateway started. */
  readonly at: number;
  /** What happened: 'connect', 'auth_ok', 'auth_fail', 'close', 'fault', or a protocol-specific kind. */
  readonly kind: string;
  /** The connection concerned, numbered from 1. */
  readonly connectionId: number;
  /** Refusal reason, fault name, close reason... */
  readonly detail?: string;
  /** Close code, on 'close' events. */
  readonly code?: number;
}

/**
 * A socket the host accepted, numbered, with its timers (cleared when it closes).
 *
 * @example
 * const onOpen = (socket: HostedSocket) => host.after(socket, 1_000, () => host.close(socket, 4408, 'auth timeout'));
 */
export interface HostedSocket {
  readonly id: number;
  readonly ws: WebSocket;
  readonly request: IncomingMessage;
  readonly timers: Set<NodeJS.Timeout>;
  /** Set when the gateway closed or dropped it, so its close is recorded with the gateway's code. */
  closedBy?: { readonly code: number; readonly reason: string };
}

/**
 * How a gateway built on {@link GatewayHost} handles its sockets.
 *
 * @example
 * const handlers: GatewayHandlers = {
 *   onOpen: (socket) => host.send(socket, { type: 'hello' }),
 *   onText: (socket, text) => host.send(socket, parseJson(text) ?? { type: 'error' }),
 *   refuse: (request) => (request.headers.origin === 'https://evil.example' ? 403 : undefined),
 * };
 */
export interface GatewayHandlers {
  /** A socket opened. */
  readonly onOpen: (socket: HostedSocket) => void;
  /** A text frame arrived (binary frames are answered with a 1003 close). */
  readonly onText: (socket: HostedSocket, text: string) => void;
  /** The socket closed (timers are already cleared). */
  readonly onClose?: (socket: HostedSocket) => void;
  /** Refuses an upgrade with this HTTP status, or accepts it (`undefined`). */
  readonly refuse?: (request: IncomingMessage) => number | undefined;
}

/**
 * The plumbing shared by the protocol gateways: a `ws` server on 127.0.0.1 (random port), numbered
 * sockets with their own timers, a timeline, and a `close()` that leaves nothing behind.
 * Build your own test gateway on it when no preset's gateway fits.
 *
 * @example
 * // An echo gateway that drops every connection after 5 s.
 * const host = await GatewayHost.start({
 *   onOpen: (socket) => host.after(socket, 5_000, () => host.drop(socket)),
 *   onText: (socket, text) => host.send(socket, { type: 'echo', value: parseJson(text) }),
 * });
 * const session = connect({ url: host.url(), WebSocketCtor: WebSocket, inbound: t.unknown });
 * // ... assert on host.events, then:
 * await host.shutdown();
 */
export class GatewayHost {
  /** The timeline, oldest first. */
  readonly events: ProtocolGatewayEvent[] = [];
  /** Sockets not yet closed, by id. */
  readonly sockets = new Map<number, HostedSocket>();
  private lastId = 0;
  private readonly startedAt = performance.now();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly server: Server,
    // Every TCP connection, upgraded or not: one that never finishes its handshake would
    // otherwise keep server.close() (and the user's afterEach) waiting forever.
    private readonly rawSockets: Set<Socket>,
    /** The port it listens on. */
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 and resolves once it does. */
  static async start(handlers: GatewayHandlers, protocols?: (offered: Set<string>) => string | false): Promise<GatewayHost> {
    const server = createServer((_request, response) => response.writeHead(426).end());
    const rawSockets = new Set<Socket>();
    server.on('connection', (socket) => {
      rawSockets.add(socket);
      socket.once('close', () => rawSockets.delete(socket));
    });
    const wss = new WebSocketServer({
      server,
      ...(protocols ? { handleProtocols: protocols } : {}),
      ...(handlers.refuse
        ? {
            verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
              const status = handlers.refuse!(info.req);
              if (status === undefined) done(true);
              else done(false, status);
            },
          }
        : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const host = new GatewayHost(wss, server, rawSockets, (server.address() as AddressInfo).port);
    wss.on('connection', (ws, request) => host.accept(ws, request, handlers));
    return host;
  }

  /** `ws://127.0.0.1:<port>` followed by `path`. */
  url(path = ''): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** Adds an entry to the timeline. */
  record(kind: string, socket: HostedSocket | undefined, extra: { readonly detail?: string; readonly code?: number } = {}): void {
    this.events.push({ at: Math.round(performance.now() - this.startedAt), kind, connectionId: socket?.id ?? 0, ...extra });
  }

  /** Sends a JSON frame if the socket is open. */
  send(socket: HostedSocket, frame: unknown): void {
    if (socket.ws.readyState === socket.ws.OPEN) socket.ws.send(JSON.stringify(frame));
  }

  /** Starts a closing handshake, recorded with this code whatever the client echoes. */
  close(socket: HostedSocket, code: number, reason = ''): void {
    if (socket.closedBy) return;
    socket.closedBy = { code, reason };
    clearTimers(socket);
    socket.ws.close(code, reason);
  }

  /** Destroys the socket without a close frame (the client sees 1006). */
  drop(socket: HostedSocket, detail = 'drop'): void {
    this.record('fault', socket, { detail });
    socket.closedBy ??= { code: 1006, reason: detail };
    clearTimers(socket);
    socket.ws.terminate();
  }

  /** A timer tied to the socket: cleared when it closes. */
  after(socket: HostedSocket, ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      socket.timers.delete(timer);
      run();
    }, ms);
    socket.timers.add(timer);
    return timer;
  }

  /** A repeating timer tied to the socket. */
  every(socket: HostedSocket, ms: number, run: () => void): NodeJS.Timeout {
    const timer = setInterval(run, ms);
    socket.timers.add(timer);
    return timer;
  }

  /** Sockets not closing. */
  get open(): HostedSocket[] {
    return [...this.sockets.values()].filter((socket) => !socket.closedBy && socket.ws.readyState === socket.ws.OPEN);
  }

  /** Terminates every socket and closes the server; safe to call twice. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      const closed = [...this.sockets.values()].map((socket) => new Promise<void>((resolve) => socket.ws.once('close', () => resolve())));
      for (const socket of this.sockets.values()) {
        clearTimers(socket);
        socket.ws.terminate();
      }
      await Promise.all(closed);
      for (const socket of this.rawSockets) socket.destroy();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.closing;
  }

  private accept(ws: WebSocket, request: IncomingMessage, handlers: GatewayHandlers): void {
    const socket: HostedSocket = { id: ++this.lastId, ws, request, timers: new Set() };
    this.sockets.set(socket.id, socket);
    this.record('connect', socket);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (socket.closedBy) return;
      if (isBinary) return this.close(socket, 1003, 'binary frame');
      handlers.onText(socket, textOf(data));
    });
    ws.on('close', (code: number) => {
      clearTimers(socket);
      this.sockets.delete(socket.id);
      // A reason the client chose is never recorded: it could carry anything, even a token.
      this.record('close', socket, { detail: socket.closedBy?.reason ?? 'closed by client', code: socket.closedBy?.code ?? code });
      handlers.onClose?.(socket);
    });
    ws.on('error', () => undefined);
    handlers.onOpen(socket);
  }
}

/**
 * Parses a text frame; `undefined` when it is not JSON.
 *
 * @example
 * parseJson('{"type":"ping"}'); // { type: 'ping' }
 * parseJson('ping'); // undefined
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function clearTimers(socket: HostedSocket): void {
  for (const timer of socket.timers) clearTimeout(timer);
  socket.timers.clear();
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
