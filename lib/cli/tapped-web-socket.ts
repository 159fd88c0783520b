import { ReadyState, type WebSocketCtor, type WebSocketLike } from '../web-socket-like.js';

/** What a {@link tappedWebSocket} reports: every frame in and out, and the socket's own events. */
export type SocketTap =
  | { readonly type: 'frame'; readonly direction: 'in' | 'out'; readonly data: unknown }
  | { readonly type: 'close-requested'; readonly code: number | undefined }
  | { readonly type: 'closed'; readonly code: number; readonly reason: string; readonly wasClean: boolean };

/**
 * Wraps a WebSocket implementation so that every frame written and received, and every close, is
 * reported to `onTap` before the library sees it. The probe uses it to print frames that the
 * operators consume (the auth frame, the ack, pings and pongs), which no event downstream shows.
 *
 * @example
 * const Ctor = tappedWebSocket(WebSocket, (tap) => console.log(tap.type));
 * connect({ url, WebSocketCtor: Ctor, inbound: t.unknown });
 */
export function tappedWebSocket(Inner: WebSocketCtor, onTap: (tap: SocketTap) => void): WebSocketCtor {
  return class TappedWebSocket implements WebSocketLike {
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    private readonly socket: WebSocketLike;

    constructor(url: string, protocols?: string | string[]) {
      this.socket = new Inner(url, protocols);
      this.socket.onopen = (event) => this.onopen?.(event);
      this.socket.onmessage = (event) => {
        onTap({ type: 'frame', direction: 'in', data: event.data });
        this.onmessage?.(event);
      };
      this.socket.onclose = (event) => {
        onTap({ type: 'closed', code: event.code, reason: event.reason, wasClean: event.wasClean });
        this.onclose?.(event);
      };
      this.socket.onerror = (event) => this.onerror?.(event);
    }

    get readyState(): number {
      return this.socket.readyState;
    }

    get binaryType(): string | undefined {
      return this.socket.binaryType;
    }

    set binaryType(value: string | undefined) {
      if (value !== undefined) this.socket.binaryType = value;
    }

    send(data: string): void {
      this.socket.send(data);
      onTap({ type: 'frame', direction: 'out', data });
    }

    close(code?: number, reason?: string): void {
      if (this.socket.readyState <= ReadyState.OPEN) onTap({ type: 'close-requested', code });
      this.socket.close(code, reason);
    }

    terminate(): void {
      if (typeof this.socket.terminate === 'function') this.socket.terminate();
      else this.socket.close(4000, 'connection presumed dead');
    }
  };
}
