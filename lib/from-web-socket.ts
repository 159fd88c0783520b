import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { ConnectionClosedError, WebSocketUnavailableError } from './errors.js';
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
 * @example
 * import { WebSocket } from 'ws';
 * fromWebSocket('ws://127.0.0.1:8080', { WebSocketCtor: WebSocket })
 *   .subscribe((event) => console.log(event.type));
 * // connecting
 * // open
 * @see waitForOpen, authenticate, messages
 */
export function fromWebSocket(url: string | (() => string), config: FromWebSocketConfig = {}): Observable<SocketEvent> {
  const { protocols, serialize = JSON.stringify, maxFrameBytes = 1024 * 1024, scheduler = asyncScheduler } = config;
  if (!(maxFrameBytes > 0)) throw new TypeError('maxFrameBytes must be a positive number');
  return new Observable<SocketEvent>((subscriber) => {
    const Ctor = config.WebSocketCtor ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (!Ctor) {
      subscriber.error(new WebSocketUnavailableError());
      return;
    }
    const socket: WebSocketLike = new Ctor(typeof url === 'function' ? url() : url, protocols);
    const connection = new SocketConnection(socket, scheduler, serialize);
    const releaseUntilOpen = connection.holdAppFrames();

    socket.onopen = () => {
      connection.openedAt = scheduler.now();
      connection.phase = 'ready';
      subscriber.next({ type: 'open', connection });
      releaseUntilOpen();
    };
    socket.onmessage = (event) => {
      subscriber.next({ type: 'frame', connection, frame: new InboundFrame(event.data, maxFrameBytes) });
    };
    // Browsers fire close right after error, and `ws` does too; the close carries the code.
    socket.onerror = noop;
    socket.onclose = (event) => {
      subscriber.error(
        new ConnectionClosedError(event.code, event.reason, event.wasClean, connection.phase, connection.msSinceOpen()),
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
