import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { ReadyState, type WebSocketCtor, type WebSocketLike } from '../web-socket-like.js';

/**
 * One thing the scripted server does to a socket. Build them with {@link serverOpen},
 * {@link serverFrame} and {@link serverClose}.
 *
 * @example
 * const script = cold<ServerAction>('-o-a-c', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), c: serverClose(1001) });
 */
export type ServerAction =
  | { readonly kind: 'open' }
  | { readonly kind: 'frame'; readonly data: unknown }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string; readonly wasClean: boolean };

/**
 * The server accepts the connection.
 *
 * @example
 * scriptedWebSocket(testScheduler, () => cold('-o', { o: serverOpen() })); // OPEN after 1 frame of virtual time
 */
export const serverOpen = (): ServerAction => ({ kind: 'open' });
/**
 * The server sends a frame; objects are JSON-encoded, strings and binary go as they are.
 *
 * @example
 * cold('-o-a-x', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), x: serverFrame('not json') });
 */
export const serverFrame = (value: unknown): ServerAction => ({
  kind: 'frame',
  data: typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value),
});
/**
 * The server (or the network) closes the connection. The default, 1006 and not clean, is a
 * dropped network; pass a code for a server close.
 *
 * @example
 * cold('-o-a--c', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), c: serverClose(4401, 'unauthorized') });
 */
export const serverClose = (code = 1006, reason = '', wasClean = code !== 1006): ServerAction => ({
  kind: 'close',
  code,
  reason,
  wasClean,
});

/**
 * A frame the client wrote, with the scheduler time it was written at.
 *
 * @example
 * expect(sockets[0]!.sent.map((frame) => frame.at)).to.deep.equal([1, 7]); // the auth frame, then a ping
 */
export interface SentFrame {
  readonly at: number;
  readonly data: string;
}

/**
 * An in-memory WebSocket driven by a script of server actions on an RxJS scheduler, so pipelines
 * can be tested in virtual time (marble tests) with no network. Usually created through
 * {@link scriptedWebSocket}; the instances are then in its `sockets`.
 *
 * @example
 * const { WebSocketCtor, sockets } = scriptedWebSocket(testScheduler, () => cold('-o', { o: serverOpen() }));
 * fromWebSocket('ws://localhost', { WebSocketCtor }).subscribe();
 * testScheduler.flush();
 * const socket: ScriptedWebSocket = sockets[0]!;
 * socket.readyState; // 1 (OPEN)
 * socket.sentValues(); // []
 */
export class ScriptedWebSocket implements WebSocketLike {
  readyState: number = ReadyState.CONNECTING;
  binaryType = 'arraybuffer';
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  /** Every frame the client wrote, in order. */
  readonly sent: SentFrame[] = [];
  /** How the client closed the socket (`terminated`: `terminate()` rather than `close()`), if it did. */
  closedByClient: { at: number; code: number | undefined; reason: string | undefined; terminated: boolean } | undefined;
  private script: Subscription | undefined;

  constructor(
    readonly url: string,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Runs a script against this socket, starting in the next scheduler turn (after handlers attach). */
  play(script: Observable<ServerAction>): void {
    this.scheduler.schedule(() => {
      if (this.readyState === ReadyState.CLOSED) return;
      this.script = script.subscribe((action) => this.apply(action));
    });
  }

  /** Frames written by the client, parsed as JSON where possible. */
  sentValues(): unknown[] {
    return this.sent.map((frame) => {
      try {
        return JSON.parse(frame.data);
      } catch {
        return frame.data;
      }
    });
  }

  send(data: string): void {
    if (this.readyState !== ReadyState.OPEN) throw new Error(`send on a socket in readyState ${this.readyState}`);
    this.sent.push({ at: this.scheduler.now(), data });
  }

  close(code?: number, reason?: string): void {
    if (this.readyState >= ReadyState.CLOSING) return;
    const opened = this.readyState === ReadyState.OPEN;
    this.closedByClient = { at: this.scheduler.now(), code, reason, terminated: false };
    this.readyState = ReadyState.CLOSING;
    // Like real sockets, the close event comes later, not inside close(). Closed before it opened,
    // browsers and `ws` abort the connect: an error, then an unclean 1006.
    this.scheduler.schedule(() => {
      if (this.readyState === ReadyState.CLOSED) return;
      if (!opened) this.onerror?.({ type: 'error' });
      this.finish(
        opened
          ? { kind: 'close', code: code ?? 1005, reason: reason ?? '', wasClean: true }
          : { kind: 'close', code: 1006, reason: '', wasClean: false },
      );
    });
  }

  terminate(): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.closedByClient = { at: this.scheduler.now(), code: undefined, reason: undefined, terminated: true };
    this.readyState = ReadyState.CLOSING;
    this.scheduler.schedule(() => this.finish({ kind: 'close', code: 1006, reason: '', wasClean: false }));
  }

  private apply(action: ServerAction): void {
    if (this.readyState === ReadyState.CLOSED) return;
    if (action.kind === 'close') {
      this.finish(action);
      return;
    }
    if (this.readyState === ReadyState.CLOSING) return;
    if (action.kind === 'open') {
      this.readyState = ReadyState.OPEN;
      this.onopen?.({});
    } else if (action.kind === 'frame') {
      if (this.readyState === ReadyState.OPEN) this.onmessage?.({ data: action.data });
    } else {
      this.finish(action);
    }
  }

  private finish(action: Extract<ServerAction, { kind: 'close' }>): void {
    if (this.readyState === ReadyState.CLOSED) return;
    this.readyState = ReadyState.CLOSED;
    this.script?.unsubscribe();
    this.onclose?.({ code: action.code, reason: action.reason, wasClean: action.wasClean });
  }
}

/**
 * A WebSocket constructor whose n-th socket (0-based) plays `scriptFor(n)`. Pass it as
 * `WebSocketCtor` to `fromWebSocket`; the created sockets are in `sockets` for assertions.
 *
 * @example
 * const { WebSocketCtor, sockets } = scriptedWebSocket(scheduler, () => cold('-o-a', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }) }));
 */
export function scriptedWebSocket(
  scheduler: SchedulerLike,
  scriptFor: (index: number) => Observable<ServerAction>,
): { WebSocketCtor: WebSocketCtor; sockets: ScriptedWebSocket[] } {
  const sockets: ScriptedWebSocket[] = [];
  const WebSocketCtor = function (url: string) {
    const socket = new ScriptedWebSocket(url, scheduler);
    socket.play(scriptFor(sockets.length));
    sockets.push(socket);
    return socket;
  } as unknown as WebSocketCtor;
  return { WebSocketCtor, sockets };
}
