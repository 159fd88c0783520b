import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { checkOption } from './check-option.js';
import { ConnectionClosedError, FrameRejectedError, WebSocketUnavailableError } from './errors.js';
import { InboundFrame } from './inbound-frame.js';
import { SocketConnection, type Serializer } from './socket-connection.js';
import type { SocketEvent } from './socket-event.js';
import type { WebSocketCtor, WebSocketLike } from './web-socket-like.js';

/** Options of {@link fromWebSocket}. */
export interface FromWebSocketConfig {
  /**
   * The WebSocket implementation. In Node < 22 pass `WebSocket` from `ws`.
   * @default globalThis.WebSocket
   */
  WebSocketCtor?: WebSocketCtor;
  /**
   * Subprotocols offered in the handshake (for example `'graphql-transport-ws'`).
   * @default undefined
   */
  protocols?: string | string[];
  /**
   * Turns outbound values into text frames.
   * @default JSON.stringify
   */
  serialize?: Serializer;
  /**
   * Inbound frames longer than this (in UTF-16 code units, or bytes for binary) are not parsed and
   * are reported by `messages()` as a `DecodeError` of kind 'too-large'. In Node, also pass `ws`'s
   * own `maxPayload` so such a frame is never even buffered.
   * @default 1048576 (1 MiB)
   */
  maxFrameBytes?: number;
  /**
   * Accept a plain `ws://` URL to a host other than this machine. Without it such a URL is refused
   * when the stream is created, because the auth frame (with its token) and every message would
   * cross the network unencrypted. Loopback hosts (`localhost`, `127.x.x.x`, `[::1]`), `*.localhost`
   * and `*.invalid` never need it (`*.test` and `*.example` do: a LAN DNS may serve them).
   * @default false
   */
  allowInsecure?: boolean;
  /**
   * Clock used to measure `msSinceOpen`.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * A cold Observable of one WebSocket's life: each subscription opens one socket; unsubscribing
 * closes it with 1000 (or aborts the connect). It emits `connecting`, `open` and one `frame` event
 * per inbound frame, and errors with a {@link ConnectionClosedError} (close code, reason, wasClean,
 * phase, ms since open) when the socket closes. It never completes on its own.
 *
 * Unusable options throw a `TypeError` naming the option when the stream is created, and so does
 * a plain `ws://` URL to another machine without `allowInsecure` (a URL function is checked on
 * every call instead, and its TypeError ends the stream).
 *
 * @example
 * import { WebSocket } from 'ws';
 * fromWebSocket('ws://127.0.0.1:8080', { WebSocketCtor: WebSocket })
 *   .subscribe((event) => console.log(event.type));
 * // connecting
 * // open
 * @see waitForOpen, authenticate, messages
 */
export function fromWebSocket(url: string | (() => string), config: FromWebSocketConfig = {}): Observable<SocketEvent> {
  const {
    WebSocketCtor,
    protocols,
    serialize = JSON.stringify,
    maxFrameBytes = 1024 * 1024,
    allowInsecure = false,
    scheduler = asyncScheduler,
  } = config ?? {};
  // Checked with the defaults in place: each default passes its own check, so only what the app
  // passed can fail (null too: a default replaces undefined only).
  if (typeof url === 'string') assertUrl(url, allowInsecure === true);
  else check(typeof url === 'function', 'url must be a string or a function returning one');
  check(WebSocketCtor === undefined || typeof WebSocketCtor === 'function', 'WebSocketCtor must be a WebSocket constructor');
  check(
    protocols === undefined || [protocols].flat().every((name) => typeof name === 'string'),
    'protocols must be a string or an array of strings',
  );
  check(typeof serialize === 'function', 'serialize must be a function');
  check(maxFrameBytes > 0, `maxFrameBytes must be a positive number, got ${String(maxFrameBytes)}`);
  check(typeof allowInsecure === 'boolean', 'allowInsecure must be a boolean');
  check(typeof (scheduler as Partial<SchedulerLike> | null)?.now === 'function', 'scheduler must be an RxJS scheduler');
  return new Observable<SocketEvent>((subscriber) => {
    const Ctor = WebSocketCtor ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) {
      subscriber.error(new WebSocketUnavailableError());
      return;
    }
    // A URL function is checked on every call; the TypeError ends the stream (retrying cannot fix it).
    const target = typeof url === 'function' ? assertUrl(url(), allowInsecure) : url;
    const socket: WebSocketLike = new Ctor(target, protocols);
    const connection = new SocketConnection(socket, scheduler, serialize);
    // Dropped once called: the socket's handlers keep this scope for the life of the socket.
    let releaseUntilOpen: (() => void) | undefined = connection.holdAppFrames();

    socket.onopen = () => {
      connection.openedAt = scheduler.now();
      connection.phase = 'ready';
      subscriber.next({ type: 'open', connection });
      releaseUntilOpen?.();
      releaseUntilOpen = undefined;
    };
    socket.onmessage = (event) => {
      subscriber.next({ type: 'frame', connection, frame: new InboundFrame(event.data, maxFrameBytes) });
    };
    // Browsers fire close right after error, and `ws` does too; the close carries the code. Only
    // `ws` says why: a frame it refused (over maxPayload, bad UTF-8) becomes a FrameRejectedError;
    // anything else it names (ECONNREFUSED, ENOTFOUND, a TLS error, an HTTP 401 instead of the
    // upgrade) becomes the cause of the 1006, so a DNS failure is not reported as a server down.
    let rejectedFrame: FrameRejectedError['kind'] | undefined;
    let failure: Error | undefined;
    socket.onerror = (event) => {
      rejectedFrame = frameRejection(event);
      const error = (event as { error?: unknown } | null)?.error;
      failure = rejectedFrame === undefined && error instanceof Error ? error : undefined;
    };
    socket.onclose = (event) => {
      const { code } = event;
      subscriber.error(
        rejectedFrame && code === 1006
          ? new FrameRejectedError(rejectedFrame, connection.phase, connection.msSinceOpen())
          : new ConnectionClosedError(
              code,
              event.reason,
              event.wasClean,
              connection.phase,
              connection.msSinceOpen(),
              undefined,
              code === 1006 ? failure : undefined,
            ),
      );
    };
    subscriber.next({ type: 'connecting', connection });

    return () => {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      // `ws` throws an unhandled 'error' event if no listener is left when an aborted connect fails.
      socket.onerror = noop;
      connection.close(1000);
    };
  });
}

function noop(): void {}

/** The inbound-frame failure a `ws` error event names (its `error.code`), if it is one. */
function frameRejection(event: unknown): FrameRejectedError['kind'] | undefined {
  const code = (event as { error?: { code?: unknown } } | null)?.error?.code;
  // A close frame with a code invalid on the wire (a proxy relaying 1006 while shutting down): a
  // browser reports a plain 1006 and reconnects; so do we, rather than a fatal protocol error.
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_') || code === 'WS_ERR_INVALID_CLOSE_CODE') return undefined;
  if (/^WS_ERR_UNSUPPORTED_(DATA_PAYLOAD|MESSAGE)_LENGTH$/.test(code)) return 'too-large';
  return code === 'WS_ERR_INVALID_UTF8' ? 'invalid-utf8' : 'protocol';
}

function check(ok: boolean, problem: string): asserts ok {
  checkOption(ok, 'fromWebSocket', problem);
}

/**
 * Refuses a URL a WebSocket cannot use, and a plain `ws://` one to another machine unless allowed.
 * Messages name the host only: a URL's path or query is no place for a secret, but may hold one.
 */
function assertUrl(url: unknown, allowInsecure: boolean): string {
  check(typeof url === 'string', 'url must be a string (the url function returned something else)');
  let parsed: URL | undefined;
  try {
    parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    // Reported just below.
  }
  check(parsed !== undefined, 'url is not a valid URL; expected ws://host[:port]/path or wss://...');
  const scheme = parsed.protocol;
  check(/^(wss?|https?):$/.test(scheme), `url must use ws:// or wss://, not ${scheme}//`);
  // The WebSocket constructor throws on any fragment, even an empty one (`#` alone).
  check(!url.includes('#'), 'url must not have a #fragment (a WebSocket URL cannot carry one)');
  check(
    allowInsecure || /^(ws|http)s:$/.test(scheme) || isLocalHost(parsed.hostname),
    `url is plain ws:// to ${parsed.hostname}, another machine: the auth token and every message ` +
      'would travel unencrypted. Use wss://, or set allowInsecure: true if this network is trusted',
  );
  return url;
}

/**
 * This machine: loopback addresses, `localhost` and `*.localhost` (RFC 6761 has resolvers answer
 * loopback for them), and `*.invalid`, which never resolves. `*.test` and `*.example` are not
 * exempt: a local DNS server may well serve them, and the token would then cross that network.
 */
function isLocalHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === '::1' || /^127(\.\d{1,3}){3}$/.test(host) || /^::ffff:(127(\.\d{1,3}){3}|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.test(host))
    return true;
  return /(^|\.)(localhost|invalid)$/.test(host);
}
