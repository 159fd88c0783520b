import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AuthRequest,
  PingRequest,
  SendRequest,
  type Accepted,
  type AuthError,
  type AuthErrorReason,
  type AuthExpired,
  type AuthOk,
  type ChatMessage,
  type Draining,
  type Pong,
  type ServerFrame,
  type ServerHeartbeat,
} from './gateway-protocol.js';

/** Options of {@link ReferenceGateway.start}; every duration is in milliseconds. */
export interface ReferenceGatewayOptions {
  /** Port to listen on (host is always 127.0.0.1); 0 picks a free port. Default 0. */
  readonly port?: number;
  /** Time allowed between connect and the `auth` frame before a 4408 close. Default 5000. */
  readonly authTimeout?: number;
  /** Time without any inbound frame after auth before a 1001 close. Default 30000. */
  readonly idleTimeout?: number;
  /** Lifetime of tokens from {@link ReferenceGateway.issueToken} without `ttlMs`. Default 60000. */
  readonly tokenTtlMs?: number;
  /** Time allowed after `auth_expired` to re-auth on the same socket before a 4401 close. Default 5000. */
  readonly reauthGrace?: number;
  /** Interval of `heartbeat` frames to authenticated sessions; 0 turns them off. Default 0. */
  readonly serverHeartbeatMs?: number;
  /** Number of messages kept for `resumeFrom` replay. Default 1000. */
  readonly historySize?: number;
  /** Answer a refused auth with `auth_error` and a 44xx close instead of a silent 1000. Default false. */
  readonly explicitErrors?: boolean;
  /** Scope a token must carry to authenticate. Default 'chat'. */
  readonly requiredScope?: string;
  /** Largest inbound frame in bytes; larger ones are closed with 1009 by `ws`. Default 1 MiB. */
  readonly maxPayload?: number;
}

/** Options of {@link ReferenceGateway.issueToken}. */
export interface IssueTokenOptions {
  /** Lifetime of the token; defaults to the gateway's `tokenTtlMs`. */
  readonly ttlMs?: number;
  /** Scopes, joined by spaces into the `scope` claim. Default `['chat']`. */
  readonly scopes?: readonly string[];
  /** The `sub` claim, shown as `from` on the messages this token sends. Default 'user'. */
  readonly subject?: string;
}

/** Options of {@link ReferenceGateway.restart}. */
export interface RestartOptions {
  /** How long the port refuses connections before listening again. Default 0. */
  readonly downMs?: number;
}

/** An application message the gateway accepted from a client's `send`. */
export interface AcceptedMessage {
  readonly subject: string;
  readonly clientId: string;
  readonly id: number;
  readonly text: string;
}

/** What a {@link GatewayEvent} records. */
export type GatewayEventKind = 'connect' | 'auth_ok' | 'auth_fail' | 'reauth_ok' | 'expired' | 'close' | 'fault';

/** One entry of the gateway's timeline; never holds a token. */
export interface GatewayEvent {
  /** Milliseconds since the gateway started (monotonic clock). */
  readonly at: number;
  readonly kind: GatewayEventKind;
  /** The connection concerned, numbered from 1 in order of arrival. */
  readonly connectionId: number;
  /** Auth refusal reason, close reason, or which fault was injected. */
  readonly detail?: string;
  /** Close code, on `close` events: the code the gateway closed with, else the one it received. */
  readonly code?: number;
}

/** What {@link ReferenceGateway.sendMalformed} sends. */
export type MalformedKind = 'json' | 'schema' | 'binary' | 'oversized';

const HOST = '127.0.0.1';
const DEFAULT_SUBJECT = 'user';
const OVERSIZED_TEXT_LENGTH = 2 * 1024 * 1024;
const LISTEN_RETRY_MS = 2000;
const LISTEN_RETRY_STEP_MS = 25;
/** Longest delay `setTimeout` honours; longer ones fire at once. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;
/** Sends held per expired session; past this a send while expired closes with 4401. */
const MAX_HELD_SENDS = 100;

const AUTH_ERROR_CLOSE_CODES: Readonly<Record<AuthErrorReason, number>> = {
  'invalid schema': 4400,
  'invalid token': 4401,
  'missing scope': 4403,
};

/**
 * A strict WebSocket chat gateway on 127.0.0.1 for tests and demos: it enforces the protocol of
 * `gateway-protocol.ts` the way real gateways do (silent closes, short auth windows, token expiry
 * on a live socket, idle closes) and injects faults on demand, so a client that only works against
 * a forgiving server fails here first. Not for production: tokens are unsigned and checked by
 * lookup in the gateway's own memory.
 *
 * @example
 * const gw = await ReferenceGateway.start({ authTimeout: 100 });
 * const ws = new WebSocket(gw.url);
 * ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: gw.issueToken() }));
 * // ...
 * await gw.close();
 */
export class ReferenceGateway {
  /** The port the gateway listens on; it keeps it across {@link restart}. */
  port = 0;

  private readonly settings: Required<Omit<ReferenceGatewayOptions, 'port'>>;
  private readonly wss: WebSocketServer;
  private readonly startedAt = performance.now();
  private server: Server | undefined;
  private readonly rawSockets = new Set<Socket>();
  private readonly connections = new Map<number, Connection>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly history: ChatMessage[] = [];
  private readonly acceptedIds = new Map<string, number>();
  private readonly acceptedLog: AcceptedMessage[] = [];
  private readonly eventLog: GatewayEvent[] = [];
  private readonly sleepers = new Set<Sleeper>();
  private lastId = 0;
  private lastConnectionId = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private restarting: Promise<void> | undefined;

  private constructor(options: ReferenceGatewayOptions) {
    this.settings = {
      authTimeout: options.authTimeout ?? 5000,
      idleTimeout: options.idleTimeout ?? 30000,
      tokenTtlMs: options.tokenTtlMs ?? 60000,
      reauthGrace: options.reauthGrace ?? 5000,
      serverHeartbeatMs: options.serverHeartbeatMs ?? 0,
      historySize: options.historySize ?? 1000,
      explicitErrors: options.explicitErrors ?? false,
      requiredScope: options.requiredScope ?? 'chat',
      maxPayload: options.maxPayload ?? 1024 * 1024,
    };
    // noServer: the gateway owns the HTTP server so that it can close and re-listen on the same port.
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, maxPayload: this.settings.maxPayload });
  }

  /** Starts a gateway and resolves once it listens (on a random free port unless `port` is given). */
  static async start(options: ReferenceGatewayOptions = {}): Promise<ReferenceGateway> {
    const gateway = new ReferenceGateway(options);
    await gateway.listen(options.port ?? 0);
    return gateway;
  }

  /** The URL clients connect to: `ws://127.0.0.1:<port>`. */
  get url(): string {
    return `ws://${HOST}:${this.port}`;
  }

  /** Number of open sockets, whatever their state (half-open ones included). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Number of sessions currently authenticated: not expired, not half-open, not closing. */
  get authenticatedCount(): number {
    let count = 0;
    for (const connection of this.connections.values()) if (isLive(connection)) count++;
    return count;
  }

  /** Application messages accepted from clients' `send`, in order (duplicates not repeated). */
  get accepted(): ReadonlyArray<AcceptedMessage> {
    return this.acceptedLog;
  }

  /** Timeline of connects, auths, expiries, closes and injected faults, for assertions. */
  get events(): ReadonlyArray<GatewayEvent> {
    return this.eventLog;
  }

  /**
   * Issues an unsigned JWT-shaped token (`header.payload.sig`, base64url JSON) with claims `sub`,
   * `scope`, `exp` (epoch seconds, rounded up) and `jti`. Validity is decided by lookup in this
   * gateway, to the millisecond, so short `ttlMs` work in tests.
   */
  issueToken(options: IssueTokenOptions = {}): string {
    const subject = options.subject ?? DEFAULT_SUBJECT;
    const scopes = [...(options.scopes ?? ['chat'])];
    const expiresAt = Date.now() + (options.ttlMs ?? this.settings.tokenTtlMs);
    const header = { alg: 'none', typ: 'JWT' };
    const payload = { sub: subject, scope: scopes.join(' '), exp: Math.ceil(expiresAt / 1000), jti: randomUUID() };
    const token = [base64url(header), base64url(payload), randomBytes(16).toString('base64url')].join('.');
    this.tokens.set(token, { subject, scopes, expiresAt, revoked: false });
    return token;
  }

  /** Revokes a token: later auths and re-auths with it are refused; sessions it opened go on. */
  revokeToken(token: string): void {
    const record = this.tokens.get(token);
    if (record) record.revoked = true;
  }

  /** Publishes a message as `from`, stores it for replay and sends it to every authenticated session. */
  publish(text: string, from = 'system'): ChatMessage {
    const message = this.append(from, undefined, text);
    this.broadcast(message);
    return message;
  }

  /** Fault: terminates every socket without a close frame; clients see 1006. */
  dropAll(): void {
    for (const connection of [...this.connections.values()]) {
      this.record('fault', connection, { detail: 'drop' });
      this.terminate(connection, 'dropped');
    }
  }

  /**
   * Fault: every current connection stops reading, writing and timing out while its TCP socket
   * stays open, so it looks dead to the client (no pong, no heartbeat, no close). Connections made
   * afterwards behave normally.
   */
  goHalfOpen(): void {
    for (const connection of this.openConnections()) {
      if (connection.halfOpen) continue;
      connection.halfOpen = true;
      clearTimers(connection);
      // ws.pause() pauses req.socket and also keeps ws from resuming it when its parser drains.
      connection.ws.pause();
      this.record('fault', connection, { detail: 'half-open' });
    }
  }

  /**
   * Fault: sends one bad frame to every authenticated session: `json` text that is not JSON,
   * `schema` a `message` frame with a string id, `binary` a binary frame, `oversized` a valid
   * `message` frame with a 2 MB text (id 0; malformed frames never take an id or enter history).
   */
  sendMalformed(kind: MalformedKind = 'json'): void {
    const payload = malformedPayload(kind);
    for (const connection of this.openConnections()) {
      if (!isLive(connection)) continue;
      this.record('fault', connection, { detail: `malformed ${kind}` });
      connection.ws.send(payload);
    }
  }

  /**
   * Fault: expires every token issued so far (they are refused from now on) and every
   * authenticated session at once: each gets `auth_expired` and the re-auth grace period.
   */
  expireTokens(): void {
    const now = Date.now();
    for (const record of this.tokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
    for (const connection of this.openConnections()) this.expire(connection, 'expireTokens');
  }

  /** Fault: announces `draining` to every authenticated session, then closes them with 1012 after `closeInMs`. */
  announceDrain(closeInMs: number): void {
    for (const connection of this.openConnections()) {
      if (!isLive(connection)) continue;
      this.record('fault', connection, { detail: `drain ${closeInMs}ms` });
      this.send(connection, { type: 'draining', closeInMs } satisfies Draining);
      setTimer(connection, 'drain', closeInMs, () => this.closeConnection(connection, 1012, 'service restart'));
    }
  }

  /**
   * Fault: terminates every socket, stops listening, and listens again on the same port after
   * `downMs`. Tokens, history and message ids survive, as with a gateway backed by a store.
   */
  async restart(options: RestartOptions = {}): Promise<void> {
    if (this.closed) return;
    // One restart at a time: a second call (a double click in the web demo) runs after the first.
    const previous = this.restarting;
    const run = (previous ? previous.catch(() => undefined) : Promise.resolve()).then(() =>
      this.closed ? undefined : this.runRestart(options.downMs ?? 0),
    );
    this.restarting = run;
    try {
      await run;
    } finally {
      if (this.restarting === run) this.restarting = undefined;
    }
  }

  /** Terminates every socket, clears every timer and closes the server; safe to call more than once. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      for (const sleeper of [...this.sleepers]) sleeper.wake();
      this.closing = (async () => {
        // A restart cut short may still be binding the port: let it finish, then close that server too.
        await this.restarting?.catch(() => undefined);
        await this.shutdown('gateway closed');
        await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      })();
    }
    return this.closing;
  }

  // -------------------------------------------------------------------------------------------
  // Connection handling
  // -------------------------------------------------------------------------------------------

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    let markClosed = (): void => undefined;
    const connection: Connection = {
      id: ++this.lastConnectionId,
      ws,
      state: 'awaiting-auth',
      halfOpen: false,
      heldSends: [],
      subject: undefined,
      sessionId: undefined,
      closedBy: undefined,
      timers: new Map(),
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    this.connections.set(connection.id, connection);
    this.record('connect', connection);
    ws.on('message', (data, isBinary) => this.onMessage(connection, data, isBinary));
    ws.on('close', (code) => {
      clearTimers(connection);
      this.connections.delete(connection.id);
      const closedBy = connection.closedBy;
      // A reason the client chose is never recorded: it could carry anything, even a token.
      const detail = closedBy?.reason ?? 'closed by client';
      this.record('close', connection, { detail, code: closedBy?.code ?? code });
      markClosed();
    });
    // ws closes the socket itself after a protocol error (oversized frame, bad UTF-8): nothing to do.
    ws.on('error', () => undefined);
    setTimer(connection, 'auth', this.settings.authTimeout, () => this.closeConnection(connection, 4408, 'auth timeout'));
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    if (connection.halfOpen || connection.state === 'closing') return;
    if (isBinary) return this.closeConnection(connection, 1007, 'invalid frame');
    let frame: unknown;
    try {
      frame = JSON.parse(textOf(data));
    } catch {
      return this.closeConnection(connection, 1007, 'invalid frame');
    }
    if (connection.state === 'awaiting-auth') return this.onFirstFrame(connection, frame);
    this.resetIdle(connection);
    this.onSessionFrame(connection, frame);
  }

  private onFirstFrame(connection: Connection, frame: unknown): void {
    clearTimer(connection, 'auth');
    if (!AuthRequest.is(frame)) return this.refuseAuth(connection, 'invalid schema');
    const verdict = this.checkToken(frame.token, undefined);
    if (typeof verdict === 'string') return this.refuseAuth(connection, verdict);
    connection.state = 'authenticated';
    connection.subject = verdict.subject;
    connection.sessionId = randomUUID();
    this.send(connection, authOk(connection.sessionId, verdict.expiresAt, this.lastId));
    this.record('auth_ok', connection);
    this.scheduleExpiry(connection, verdict.expiresAt);
    this.resetIdle(connection);
    if (this.settings.serverHeartbeatMs > 0) {
      setTimer(connection, 'heartbeat', this.settings.serverHeartbeatMs, () => this.heartbeat(connection), true);
    }
    if (frame.resumeFrom !== undefined) this.replay(connection, frame.resumeFrom);
  }

  private onSessionFrame(connection: Connection, frame: unknown): void {
    const type = typeof frame === 'object' && frame !== null ? (frame as { type?: unknown }).type : undefined;
    if (type === 'auth') {
      if (!AuthRequest.is(frame)) return this.refuseAuth(connection, 'invalid schema');
      return this.reauth(connection, frame);
    }
    if (type === 'ping' && PingRequest.is(frame)) {
      return this.send(connection, frame.id === undefined ? { type: 'pong' } : ({ type: 'pong', id: frame.id } satisfies Pong));
    }
    if (type === 'send' && SendRequest.is(frame)) {
      // A send can cross the `auth_expired` notice on the wire: hold it for the re-auth, as real
      // gateways do during their grace period, rather than punish a client that could not know.
      if (connection.state === 'expired' && connection.heldSends.length < MAX_HELD_SENDS) {
        connection.heldSends.push(frame);
        return;
      }
      if (connection.state !== 'authenticated') {
        return this.closeConnection(connection, 4401, 'sent while unauthenticated');
      }
      return this.acceptSend(connection, frame);
    }
    this.closeConnection(connection, 1008, 'unknown frame');
  }

  /** Re-auth on the same socket: refreshes an authenticated session or revives an expired one. */
  private reauth(connection: Connection, frame: AuthRequest): void {
    const verdict = this.checkToken(frame.token, connection.subject);
    if (typeof verdict === 'string') return this.refuseAuth(connection, verdict);
    connection.state = 'authenticated';
    clearTimer(connection, 'grace');
    this.send(connection, authOk(connection.sessionId ?? randomUUID(), verdict.expiresAt, this.lastId));
    this.record('reauth_ok', connection);
    this.scheduleExpiry(connection, verdict.expiresAt);
    if (frame.resumeFrom !== undefined) this.replay(connection, frame.resumeFrom);
    for (const held of connection.heldSends.splice(0)) this.acceptSend(connection, held);
  }

  private acceptSend(connection: Connection, frame: SendRequest): void {
    const subject = connection.subject ?? DEFAULT_SUBJECT;
    const key = `${subject}\u0000${frame.clientId}`;
    let id = this.acceptedIds.get(key);
    if (id === undefined) {
      const message = this.append(subject, frame.clientId, frame.text);
      id = message.id;
      this.acceptedIds.set(key, id);
      this.acceptedLog.push({ subject, clientId: frame.clientId, id, text: frame.text });
      this.broadcast(message);
    }
    this.send(connection, { type: 'accepted', clientId: frame.clientId, id } satisfies Accepted);
  }

  private refuseAuth(connection: Connection, reason: AuthErrorReason): void {
    this.record('auth_fail', connection, { detail: reason });
    if (!this.settings.explicitErrors) return this.closeConnection(connection, 1000, '');
    this.send(connection, { type: 'auth_error', reason } satisfies AuthError);
    this.closeConnection(connection, AUTH_ERROR_CLOSE_CODES[reason], reason);
  }

  /** The token's record if it may authenticate (as `subject`, when given), else why not. */
  private checkToken(token: string, subject: string | undefined): TokenRecord | AuthErrorReason {
    const record = this.tokens.get(token);
    if (!record || record.revoked || Date.now() >= record.expiresAt) return 'invalid token';
    if (subject !== undefined && record.subject !== subject) return 'invalid token';
    if (!record.scopes.includes(this.settings.requiredScope)) return 'missing scope';
    return record;
  }

  private scheduleExpiry(connection: Connection, expiresAt: number): void {
    const remaining = expiresAt - Date.now();
    // Re-checks after the longest delay a timer takes, and if a timer fires a little early.
    setTimer(connection, 'expiry', Math.min(Math.max(remaining, 0), MAX_TIMER_DELAY), () =>
      Date.now() < expiresAt ? this.scheduleExpiry(connection, expiresAt) : this.expire(connection, 'token exp reached'),
    );
  }

  /** Sends `auth_expired` and gives the session `reauthGrace` to re-auth before a 4401 close. */
  private expire(connection: Connection, detail: string): void {
    if (!isLive(connection)) return;
    connection.state = 'expired';
    clearTimer(connection, 'expiry');
    this.send(connection, { type: 'auth_expired' } satisfies AuthExpired);
    this.record('expired', connection, { detail });
    setTimer(connection, 'grace', this.settings.reauthGrace, () => this.closeConnection(connection, 4401, 'token expired'));
  }

  private resetIdle(connection: Connection): void {
    setTimer(connection, 'idle', this.settings.idleTimeout, () => this.closeConnection(connection, 1001, 'idle timeout'));
  }

  /** Heartbeats go on while a session is expired: liveness does not depend on auth. */
  private heartbeat(connection: Connection): void {
    if (connection.state === 'authenticated' || connection.state === 'expired') {
      this.send(connection, { type: 'heartbeat' } satisfies ServerHeartbeat);
    }
  }

  private append(from: string, clientId: string | undefined, text: string): ChatMessage {
    const id = ++this.lastId;
    const message: ChatMessage = { type: 'message', id, clientId: clientId ?? `publish-${id}`, from, text, sentAt: Date.now() };
    this.history.push(message);
    if (this.history.length > this.settings.historySize) {
      this.history.splice(0, this.history.length - this.settings.historySize);
    }
    return message;
  }

  /** Sends to authenticated sessions only: expired and half-open ones miss it (resume fills the gap). */
  private broadcast(message: ChatMessage): void {
    for (const connection of this.connections.values()) if (isLive(connection)) this.send(connection, message);
  }

  private replay(connection: Connection, resumeFrom: number): void {
    for (const message of this.history) if (message.id > resumeFrom) this.send(connection, message);
  }

  private send(connection: Connection, frame: ServerFrame): void {
    if (connection.halfOpen || connection.ws.readyState !== connection.ws.OPEN) return;
    connection.ws.send(JSON.stringify(frame));
  }

  /** Starts the closing handshake; the close is recorded with this code whatever the client echoes. */
  private closeConnection(connection: Connection, code: number, reason: string): void {
    if (connection.state === 'closing') return;
    connection.state = 'closing';
    connection.closedBy = { code, reason };
    clearTimers(connection);
    connection.ws.close(code, reason);
  }

  /** Destroys the socket at once; a close the gateway had already started keeps its code. */
  private terminate(connection: Connection, detail: string): void {
    connection.state = 'closing';
    connection.closedBy ??= { code: 1006, reason: detail };
    clearTimers(connection);
    connection.ws.terminate();
  }

  private openConnections(): Connection[] {
    return [...this.connections.values()].filter((connection) => connection.state !== 'closing');
  }

  private record(kind: GatewayEventKind, connection: Connection, extra: { readonly detail?: string; readonly code?: number } = {}): void {
    this.eventLog.push({ at: performance.now() - this.startedAt, kind, connectionId: connection.id, ...extra });
  }

  // -------------------------------------------------------------------------------------------
  // Server lifecycle
  // -------------------------------------------------------------------------------------------

  private async runRestart(downMs: number): Promise<void> {
    for (const connection of this.openConnections()) this.record('fault', connection, { detail: 'restart' });
    await this.shutdown('restart');
    if (downMs > 0) await this.sleep(downMs);
    if (!this.closed) await this.listen(this.port);
  }

  /** Listens on `port`, retrying briefly while the port is still in use (right after a restart). */
  private async listen(port: number): Promise<void> {
    const deadline = Date.now() + LISTEN_RETRY_MS;
    for (;;) {
      const server = createServer((_request, response) => response.writeHead(426).end());
      server.on('connection', (socket) => {
        this.rawSockets.add(socket);
        socket.once('close', () => this.rawSockets.delete(socket));
      });
      server.on('upgrade', (request, socket, head) => this.onUpgrade(request, socket, head));
      try {
        await listenOnce(server, port);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() >= deadline) throw error;
        await this.sleep(LISTEN_RETRY_STEP_MS);
        if (this.closed) return;
        continue;
      }
      this.server = server;
      this.port = (server.address() as AddressInfo).port;
      return;
    }
  }

  /** Terminates every connection and raw socket, then closes the HTTP server; resolves when all are gone. */
  private async shutdown(detail: string): Promise<void> {
    const connections = [...this.connections.values()];
    for (const connection of connections) {
      if (connection.ws.readyState !== connection.ws.CLOSED) this.terminate(connection, detail);
      else clearTimers(connection);
    }
    // Sockets still in the set have not closed yet, so each of them will emit `close`.
    const sockets = [...this.rawSockets];
    for (const socket of sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    await Promise.all([
      ...connections.map((connection) => connection.closed),
      ...sockets.map(onceClosed),
      server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined,
    ]);
  }

  /** A timer that {@link close} cuts short, so that closing never waits for it. */
  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper: Sleeper = {
        timer: setTimeout(() => sleeper.wake(), ms),
        wake: () => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Private helpers
// ---------------------------------------------------------------------------------------------

type TimerName = 'auth' | 'idle' | 'expiry' | 'grace' | 'heartbeat' | 'drain';

interface Connection {
  readonly id: number;
  readonly ws: WebSocket;
  /** `closing` from the moment the gateway closes or terminates it, or the client's close arrives. */
  state: 'awaiting-auth' | 'authenticated' | 'expired' | 'closing';
  halfOpen: boolean;
  /** Sends that arrived while expired, accepted after the re-auth (dropped if the grace runs out). */
  readonly heldSends: SendRequest[];
  subject: string | undefined;
  sessionId: string | undefined;
  /** The close the gateway started, recorded instead of whatever the client echoes. */
  closedBy: { readonly code: number; readonly reason: string } | undefined;
  readonly timers: Map<TimerName, NodeJS.Timeout>;
  /** Resolves once `ws` emitted `close` and the connection was forgotten. */
  readonly closed: Promise<void>;
}

interface TokenRecord {
  readonly subject: string;
  readonly scopes: readonly string[];
  /** Epoch ms. */
  expiresAt: number;
  revoked: boolean;
}

interface Sleeper {
  readonly timer: NodeJS.Timeout;
  readonly wake: () => void;
}

function isLive(connection: Connection): boolean {
  return connection.state === 'authenticated' && !connection.halfOpen;
}

function setTimer(connection: Connection, name: TimerName, ms: number, run: () => void, repeat = false): void {
  clearTimer(connection, name);
  connection.timers.set(name, repeat ? setInterval(run, ms) : setTimeout(run, ms));
}

function clearTimer(connection: Connection, name: TimerName): void {
  const timer = connection.timers.get(name);
  if (timer !== undefined) clearTimeout(timer);
  connection.timers.delete(name);
}

function clearTimers(connection: Connection): void {
  for (const timer of connection.timers.values()) clearTimeout(timer);
  connection.timers.clear();
}

/** `lastId` is the gateway's position at the ack: messages after it are live or replayed, never lost. */
function authOk(sessionId: string, expiresAt: number, lastId: number): AuthOk {
  return { type: 'auth_ok', sessionId, expiresAt, lastId };
}

function malformedPayload(kind: MalformedKind): string | Buffer {
  switch (kind) {
    case 'json':
      return '{not json';
    case 'schema':
      return '{"type":"message","id":"not-a-number"}';
    case 'binary':
      return Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    case 'oversized': {
      const frame: ChatMessage = {
        type: 'message',
        id: 0,
        clientId: 'oversized',
        from: 'system',
        text: 'x'.repeat(OVERSIZED_TEXT_LENGTH),
        sentAt: Date.now(),
      };
      return JSON.stringify(frame);
    }
  }
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function listenOnce(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, HOST);
  });
}

function onceClosed(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => socket.once('close', () => resolve()));
}
