/**
 * The clients measured side by side. Each variant opens one session to the bench server, speaking
 * bench/protocol.ts: auth as the first frame, the ack before anything counts, an optional heartbeat
 * (ping every `interval`, dead when no pong within `timeout`) and optional reconnects. The peers
 * get the same features written by hand the way a user of each would write them, so a difference
 * in a benchmark is the cost of the layer, not of a missing feature.
 */
import * as t from 'io-ts';
// partysocket/ws's types lack its default export; the main entry exports the same class.
import { WebSocket as ReconnectingWebSocket } from 'partysocket';
import { retry, share, type Observable, type Subscription } from 'rxjs';
import { webSocket } from 'rxjs/webSocket';
import { WebSocket } from 'ws';
import {
  authenticate,
  connect,
  fromWebSocket,
  HeartbeatTimeoutError,
  heartbeat,
  messages,
  reauthOnExpiry,
  retryWithBackoff,
  waitForOpen,
  type SocketConnection,
  type SocketEvent,
  type WebSocketCtor,
} from '../lib/index.js';
import { AuthExpired, AuthOk, authFrame, ChatMessage, Pong, pingFrame, TOKEN } from './protocol.js';

/** What a benchmark learns from a session. */
export interface SessionHooks {
  /** The server acked the auth frame (on the first connect and on every reconnect). */
  onAuthenticated?(): void;
  /** One application message, parsed (and decoded, for validating variants). */
  onMessage?(value: unknown): void;
  /** The heartbeat declared the connection dead. */
  onDead?(): void;
}

/** `ws`'s WebSocket class or a subclass of it (the storm's counting one). */
export type WsClass = new (address: string, protocols?: string | string[]) => WebSocket;

export interface SessionOptions {
  readonly url: string;
  /** The WebSocket class; a counting subclass of `ws`'s in the storm benchmark. */
  readonly WebSocketCtor: WsClass;
  /** Ping every `interval` ms once authenticated; dead when no pong within `timeout` ms. */
  readonly heartbeat: { readonly interval: number; readonly timeout: number } | false;
  /** Reconnect after a drop. Ours always has retryWithBackoff in the pipe (with these delays, or 1 s / 30 s). */
  readonly reconnect: { readonly initialDelay: number; readonly maxDelay: number } | false;
  /** Connect and auth deadline, where the client has one. */
  readonly deadline: number;
}

export interface Session {
  /** Sends an application frame (JSON). Only called once authenticated. */
  send(value: object): void;
  close(): void;
}

export interface Variant {
  readonly id: string;
  readonly label: string;
  /** Whether inbound messages are validated against ChatMessage. */
  readonly validates: boolean;
  open(options: SessionOptions, hooks: SessionHooks): Session;
}

/**
 * How far the pipeline goes, for the memory-by-stage table: each stage adds one operator (and
 * 'share' the app's second subscription point; 'messages' the typed subscription).
 */
export const STAGES = ['authenticate', 'heartbeat', 'reauthOnExpiry', 'retryWithBackoff', 'share', 'messages'] as const;
export type Stage = (typeof STAGES)[number];

/** The README pipeline cut after each stage (fromWebSocket, waitForOpen and authenticate are always on). */
export const STAGE_VARIANTS: readonly Variant[] = STAGES.map((stage) => ({
  id: `stage-${stage}`,
  label: stage === 'authenticate' ? 'fromWebSocket + waitForOpen + authenticate' : `+ ${stage}${stage === 'messages' ? '(t.unknown)' : ''}`,
  validates: false,
  open: (o, h) => ours(o, h, t.unknown, stage),
}));

/** Every client, in the order the tables list them. The first is the floor every ratio divides by. */
export const VARIANTS: readonly Variant[] = [
  { id: 'ws', label: 'raw ws + JSON.parse (floor)', validates: false, open: (o, h) => rawWs(o, h, false) },
  { id: 'ws-iots', label: 'raw ws + JSON.parse + io-ts decode', validates: true, open: (o, h) => rawWs(o, h, true) },
  { id: 'rxjs', label: 'rxjs webSocket()', validates: false, open: (o, h) => rxjsWebSocket(o, h, false) },
  { id: 'rxjs-iots', label: 'rxjs webSocket() + io-ts decode', validates: true, open: (o, h) => rxjsWebSocket(o, h, true) },
  { id: 'partysocket', label: 'partysocket', validates: false, open: (o, h) => partysocket(o, h, false) },
  { id: 'partysocket-iots', label: 'partysocket + io-ts decode', validates: true, open: (o, h) => partysocket(o, h, true) },
  { id: 'ours-unknown', label: 'ours, messages(t.unknown)', validates: false, open: (o, h) => ours(o, h, t.unknown) },
  { id: 'ours-codec', label: 'ours, messages(ChatMessage)', validates: true, open: (o, h) => ours(o, h, ChatMessage) },
  { id: 'connect-unknown', label: 'ours, connect({ inbound: t.unknown })', validates: false, open: (o, h) => oursConnect(o, h, t.unknown) },
  {
    id: 'connect-codec',
    label: 'ours, connect({ inbound: ChatMessage })',
    validates: true,
    open: (o, h) => oursConnect(o, h, ChatMessage),
  },
];

export function variant(id: string): Variant {
  const found = VARIANTS.find((candidate) => candidate.id === id) ?? STAGE_VARIANTS.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`unknown variant ${id}; known: ${VARIANTS.map((v) => v.id).join(', ')}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// raw ws: what a careful user writes by hand
// ---------------------------------------------------------------------------------------------

function rawWs(options: SessionOptions, hooks: SessionHooks, validate: boolean): Session {
  let ws: WebSocket;
  let stopped = false;
  let authenticated = false;
  let beat: HandHeartbeat | undefined;

  const connect = () => {
    authenticated = false;
    ws = new options.WebSocketCtor(options.url);
    const socket = ws;
    socket.on('open', () => socket.send(JSON.stringify(authFrame(TOKEN))));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let value: { type?: unknown };
      try {
        value = JSON.parse((data as Buffer).toString());
      } catch {
        return;
      }
      if (!authenticated) {
        if (value.type !== 'auth_ok') return;
        authenticated = true;
        if (options.heartbeat) {
          beat = handHeartbeat(
            options.heartbeat,
            () => socket.send(JSON.stringify(pingFrame())),
            () => {
              socket.terminate();
              hooks.onDead?.();
            },
          );
        }
        hooks.onAuthenticated?.();
        return;
      }
      if (value.type === 'pong') {
        beat?.pong();
        return;
      }
      if (!validate) {
        hooks.onMessage?.(value);
        return;
      }
      const decoded = ChatMessage.decode(value);
      if (decoded._tag === 'Right') hooks.onMessage?.(decoded.right);
    });
    socket.on('error', noop);
    socket.on('close', () => {
      beat?.stop();
      beat = undefined;
      if (!stopped && options.reconnect) setTimeout(connect, options.reconnect.initialDelay);
    });
  };
  connect();
  return {
    send: (value) => ws.send(JSON.stringify(value)),
    close: () => {
      stopped = true;
      beat?.stop();
      ws.terminate();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// rxjs webSocket(): auth in openObserver, retry({ delay }) for reconnects, interval-style heartbeat
// ---------------------------------------------------------------------------------------------

function rxjsWebSocket(options: SessionOptions, hooks: SessionHooks, validate: boolean): Session {
  let authenticated = false;
  let beat: HandHeartbeat | undefined;
  const subject = webSocket<{ type?: unknown }>({
    url: options.url,
    WebSocketCtor: options.WebSocketCtor as unknown as { new (url: string, protocols?: string | string[]): globalThis.WebSocket },
    openObserver: {
      next: () => {
        authenticated = false;
        subject.next(authFrame(TOKEN));
      },
    },
    closeObserver: {
      next: () => {
        beat?.stop();
        beat = undefined;
      },
    },
  });
  let stream: Observable<{ type?: unknown }> = subject;
  if (options.reconnect) stream = stream.pipe(retry({ delay: options.reconnect.initialDelay }));
  const subscription = stream.subscribe({
    next: (value) => {
      if (!authenticated) {
        if (value.type !== 'auth_ok') return;
        authenticated = true;
        if (options.heartbeat) {
          beat = handHeartbeat(
            options.heartbeat,
            () => subject.next(pingFrame()),
            () => hooks.onDead?.(),
          );
        }
        hooks.onAuthenticated?.();
        return;
      }
      if (value.type === 'pong') {
        beat?.pong();
        return;
      }
      if (!validate) {
        hooks.onMessage?.(value);
        return;
      }
      const decoded = ChatMessage.decode(value);
      if (decoded._tag === 'Right') hooks.onMessage?.(decoded.right);
    },
    error: noop,
  });
  return {
    send: (value) => subject.next(value),
    close: () => {
      beat?.stop();
      subscription.unsubscribe();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// partysocket over ws: its own reconnects, auth on every open, interval-style heartbeat
// ---------------------------------------------------------------------------------------------

function partysocket(options: SessionOptions, hooks: SessionHooks, validate: boolean): Session {
  let authenticated = false;
  let beat: HandHeartbeat | undefined;
  const socket = new ReconnectingWebSocket(options.url, undefined, {
    WebSocket: options.WebSocketCtor,
    connectionTimeout: options.deadline,
    // Its default is drawn once per page load (1-5 s); each session here stands for one browser.
    // Scaled with the storm's initial delay (1 s in the real runs) so the smoke run stays short.
    minReconnectionDelay: reconnectScale(options) * (1000 + Math.random() * 4000),
    maxRetries: options.reconnect ? Infinity : 0,
  });
  socket.onopen = () => {
    authenticated = false;
    socket.send(JSON.stringify(authFrame(TOKEN)));
  };
  socket.onclose = () => {
    beat?.stop();
    beat = undefined;
  };
  socket.onerror = noop;
  socket.onmessage = (event: MessageEvent) => {
    let value: { type?: unknown };
    try {
      value = JSON.parse(event.data as string);
    } catch {
      return;
    }
    if (!authenticated) {
      if (value.type !== 'auth_ok') return;
      authenticated = true;
      if (options.heartbeat) {
        beat = handHeartbeat(
          options.heartbeat,
          () => socket.send(JSON.stringify(pingFrame())),
          () => hooks.onDead?.(),
        );
      }
      hooks.onAuthenticated?.();
      return;
    }
    if (value.type === 'pong') {
      beat?.pong();
      return;
    }
    if (!validate) {
      hooks.onMessage?.(value);
      return;
    }
    const decoded = ChatMessage.decode(value);
    if (decoded._tag === 'Right') hooks.onMessage?.(decoded.right);
  };
  return {
    send: (value) => socket.send(JSON.stringify(value)),
    close: () => {
      beat?.stop();
      socket.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ours: the full pipeline, as the README writes it
// ---------------------------------------------------------------------------------------------

function ours(options: SessionOptions, hooks: SessionHooks, codec: t.Mixed, upTo: Stage = 'messages'): Session {
  const { interval, timeout } = options.heartbeat || { interval: 25_000, timeout: 10_000 };
  const { initialDelay, maxDelay } = options.reconnect || { initialDelay: 1_000, maxDelay: 30_000 };
  const depth = STAGES.indexOf(upTo);
  let events$: Observable<SocketEvent> = fromWebSocket(options.url, {
    WebSocketCtor: options.WebSocketCtor as unknown as WebSocketCtor,
  }).pipe(waitForOpen(options.deadline), authenticate({ token: () => TOKEN, message: authFrame, ack: AuthOk, timeout: options.deadline }));
  if (depth >= STAGES.indexOf('heartbeat')) events$ = events$.pipe(heartbeat({ interval, timeout, ping: pingFrame, pong: Pong }));
  if (depth >= STAGES.indexOf('reauthOnExpiry')) events$ = events$.pipe(reauthOnExpiry({ expired: AuthExpired }));
  if (depth >= STAGES.indexOf('retryWithBackoff')) events$ = events$.pipe(retryWithBackoff({ initialDelay, maxDelay, jitter: 'full' }));
  if (depth >= STAGES.indexOf('share')) events$ = events$.pipe(share());
  let connection: SocketConnection | undefined;
  const subscriptions: Subscription[] = [
    events$.subscribe({
      next: (event) => {
        if (event.type === 'authenticated') {
          connection = event.connection;
          hooks.onAuthenticated?.();
        } else if (event.type === 'reconnecting' && event.cause instanceof HeartbeatTimeoutError) {
          hooks.onDead?.();
        }
      },
      error: noop,
    }),
  ];
  if (depth >= STAGES.indexOf('messages')) {
    subscriptions.push(
      events$.pipe(messages(codec, { onInvalid: noop })).subscribe({ next: (value) => hooks.onMessage?.(value), error: noop }),
    );
  }
  return {
    send: (value) => connection!.send(value),
    close: () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ours via the session layer: connect() with the same auth, heartbeat and backoff
// ---------------------------------------------------------------------------------------------

function oursConnect(options: SessionOptions, hooks: SessionHooks, inbound: t.Mixed): Session {
  const { interval, timeout } = options.heartbeat || { interval: 25_000, timeout: 10_000 };
  const { initialDelay, maxDelay } = options.reconnect || { initialDelay: 1_000, maxDelay: 30_000 };
  const session = connect<unknown>({
    url: options.url,
    WebSocketCtor: options.WebSocketCtor as unknown as WebSocketCtor,
    inbound,
    token: () => TOKEN,
    auth: { message: authFrame, ack: AuthOk, expired: AuthExpired, timeout: options.deadline },
    heartbeat: { interval, timeout, ping: pingFrame, pong: Pong },
    retry: { initialDelay, maxDelay, jitter: 'full' },
    connectTimeout: options.deadline,
  });
  const subscriptions: Subscription[] = [
    session.state$.subscribe((state) => {
      if (state.type === 'ready') hooks.onAuthenticated?.();
      else if (state.type === 'reconnecting' && state.cause instanceof HeartbeatTimeoutError) hooks.onDead?.();
    }),
    session.messages$.subscribe({ next: (value) => hooks.onMessage?.(value), error: noop }),
  ];
  return {
    // The receipt is not awaited: the benchmarks pace sends by what comes back.
    send: (value) => void session.send(value),
    close: () => {
      for (const subscription of subscriptions) subscription.unsubscribe();
      session.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------

interface HandHeartbeat {
  pong(): void;
  stop(): void;
}

/** The heartbeat a user writes by hand: a ping every interval, dead when a ping waits longer than timeout. */
function handHeartbeat(config: { interval: number; timeout: number }, ping: () => void, dead: () => void): HandHeartbeat {
  let deadline: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(pinger);
    clearTimeout(deadline);
    deadline = undefined;
  };
  const pinger = setInterval(() => {
    ping();
    deadline ??= setTimeout(() => {
      stop();
      dead();
    }, config.timeout);
  }, config.interval);
  return {
    pong: () => {
      clearTimeout(deadline);
      deadline = undefined;
    },
    stop,
  };
}

/** 1 with the real 1 s initial delay; smaller when a short run shrinks the delays. */
function reconnectScale(options: SessionOptions): number {
  return options.reconnect ? options.reconnect.initialDelay / 1000 : 1;
}

function noop(): void {}
