/**
 * A handler property typed with method bivariance, so `ws`'s handlers (which take its own, richer
 * event types) and the DOM's fit without a cast.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/**
 * The part of the WebSocket interface this library uses. The browser's `WebSocket`, Node 22's
 * global one and `ws`'s `WebSocket` all fit it, so any of them can be injected.
 *
 * @example
 * import { WebSocket } from 'ws';
 * const socket: WebSocketLike = new WebSocket('ws://127.0.0.1:8080');
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (see {@link ReadyState}). */
  readonly readyState: number;
  /** Set to 'arraybuffer' in browsers so binary frames arrive as bytes, not Blobs. */
  binaryType?: string;
  /** Writes one text frame; only ever called while OPEN. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** `ws` only: destroy the TCP socket without a closing handshake (for dead connections). */
  terminate?(): void;
  /** Called once the socket is OPEN. */
  onopen: Handler<unknown> | null;
  /** Called for each inbound frame; `data` is a string, or bytes for a binary frame. */
  onmessage: Handler<{ data: unknown }> | null;
  /** Called once the socket is CLOSED, with the close code and reason. */
  onclose: Handler<{ code: number; reason: string; wasClean: boolean }> | null;
  /** Called on a socket error; a close always follows. */
  onerror: Handler<unknown> | null;
}

/**
 * A WebSocket constructor: `WebSocket` in browsers, `WebSocket` from `ws` in Node.
 *
 * @example
 * import { WebSocket } from 'ws';
 * const WebSocketCtor: WebSocketCtor = WebSocket;
 */
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * WebSocket readyState values, spelled out so no global `WebSocket` is needed to read them.
 *
 * @example
 * if (socket.readyState === ReadyState.OPEN) socket.send('{}');
 */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
