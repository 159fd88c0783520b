/**
 * The part of the WebSocket interface this library uses. The browser's `WebSocket`, Node 22's
 * global one and `ws`'s `WebSocket` all fit it, so any of them can be injected.
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: destroy the TCP socket without a closing handshake (for dead connections). */
  terminate?(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** A WebSocket constructor: `WebSocket` in browsers, `WebSocket` from `ws` in Node. */
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** WebSocket readyState values, spelled out so no global `WebSocket` is needed to read them. */
export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
