import type { WebSocketCtor, WebSocketLike } from '../web-socket-like.js';

/** `ws`'s constructor shape: the third argument holds its client options. */
type WsStyleCtor = new (url: string, protocols: string | string[] | undefined, options: { maxPayload: number }) => WebSocketLike;

/**
 * The same WebSocket constructor, passing `{ maxPayload }` as its third argument: `ws` then
 * refuses a larger inbound frame before buffering it (the socket closes with 1009). Browsers and
 * Node's global WebSocket ignore the extra argument.
 *
 * @example
 * import { WebSocket } from 'ws';
 * const Limited = withMaxPayload(WebSocket, 64 * 1024);
 * new Limited('ws://127.0.0.1:8080'); // a 65 KiB frame from the server closes it with 1009
 */
export function withMaxPayload(Ctor: WebSocketCtor, maxPayload: number): WebSocketCtor {
  const Base = Ctor as unknown as WsStyleCtor;
  return class WithMaxPayload extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { maxPayload });
    }
  };
}
