import type { SchedulerLike } from 'rxjs';
import { SocketNotOpenError, type ConnectionPhase } from './errors.js';
import { ReadyState, type WebSocketLike } from './web-socket-like.js';

/**
 * Turns an outbound value into a text frame.
 *
 * @example
 * // Leaves out null fields, for a server that rejects them.
 * const compact: Serializer = (value) => JSON.stringify(value, (_key, field: unknown) => (field === null ? undefined : field));
 * fromWebSocket(url, { serialize: compact });
 */
export type Serializer = (value: unknown) => string;

/**
 * One socket, as the operators and the app see it: its phase, its send handles and its close.
 *
 * Two send paths exist on purpose. {@link sendFrame} writes a protocol frame (auth, ping) now.
 * {@link send} writes an app frame, but only once every hold is released: the socket is held until
 * OPEN, and `authenticate`/`reauthOnExpiry` hold it until the server's ack, so app frames can never
 * overtake the auth frame. Held frames go out in order.
 *
 * Every socket event carries its connection; the app never constructs one.
 *
 * @example
 * fromWebSocket(url)
 *   .pipe(authenticate({ token: getToken, message: (token) => ({ type: 'auth', token }), ack: AuthOk }))
 *   .subscribe((event) => {
 *     // Sent at once, but written only after the auth ack.
 *     if (event.type === 'open') event.connection.send({ type: 'subscribe', room: 'general' });
 *   });
 */
export class SocketConnection {
  /** Where the connection is in its life; operators move it forward. */
  phase: ConnectionPhase = 'connecting';
  /** `scheduler.now()` when the socket opened; `undefined` before. */
  openedAt: number | undefined;
  // Plain private fields, not `#` ones: apps get this object in every event, and a `#` field
  // throws when a method runs through a Proxy of it (Vue's reactive(), MobX observables).
  private holds = 0;
  private readonly heldFrames: string[] = [];

  constructor(
    /** The underlying socket. Prefer the methods here, which keep the send rules. */
    readonly socket: WebSocketLike,
    /** Clock for `msSinceOpen`; the virtual one in marble tests. */
    readonly scheduler: SchedulerLike,
    private readonly serialize: Serializer = JSON.stringify,
  ) {}

  /** Whether the socket is OPEN, so a frame written now is really sent. */
  get isOpen(): boolean {
    return this.socket.readyState === ReadyState.OPEN;
  }

  /** App frames waiting for holds to be released. */
  get heldCount(): number {
    return this.heldFrames.length;
  }

  /** Milliseconds since the socket opened, `undefined` if it never did. */
  msSinceOpen(): number | undefined {
    return this.openedAt === undefined ? undefined : this.scheduler.now() - this.openedAt;
  }

  /** Writes a protocol frame now. Throws {@link SocketNotOpenError} unless the socket is OPEN. */
  sendFrame(value: unknown): void {
    this.write(typeof value === 'string' ? value : this.serialize(value));
  }

  /**
   * Writes an app frame, or holds it (in order) while the connection is not yet ready for app
   * traffic. Throws {@link SocketNotOpenError} once the socket is closing or closed.
   */
  send(value: unknown): void {
    const frame = typeof value === 'string' ? value : this.serialize(value);
    if (this.socket.readyState > ReadyState.OPEN) throw new SocketNotOpenError(this.socket.readyState);
    if (this.holds > 0) this.heldFrames.push(frame);
    else this.write(frame);
  }

  /** Holds app frames until the returned release is called (releasing twice is harmless). */
  holdAppFrames(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.flush();
    };
  }

  /** Starts a closing handshake (code 1000 by default) unless already closing or closed. */
  close(code = 1000, reason = ''): void {
    if (this.socket.readyState <= ReadyState.OPEN) this.socket.close(code, reason);
  }

  /**
   * Drops the connection without waiting for a closing handshake the peer will never answer
   * (half-open). Uses `ws`'s `terminate()` where it exists, a close otherwise.
   */
  terminate(code = 4000, reason = 'connection presumed dead'): void {
    if (this.socket.readyState === ReadyState.CLOSED) return;
    if (typeof this.socket.terminate === 'function') this.socket.terminate();
    else this.close(code, reason);
  }

  private flush(): void {
    while (this.holds === 0 && this.heldFrames.length > 0 && this.isOpen) {
      this.write(this.heldFrames.shift()!);
    }
  }

  private write(frame: string): void {
    if (!this.isOpen) throw new SocketNotOpenError(this.socket.readyState);
    this.socket.send(frame);
  }
}
