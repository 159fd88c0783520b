import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs';
import { socketLayer, SocketLayer } from '../socket-layer.js';
import { defaultRejectReason, registerAuthExchange, type AuthExchange } from '../auth-exchange.js';
import { AuthRound } from '../auth-round.js';
import { assertMatcher, frameTest, type FrameMatcher } from '../frame-matcher.js';
import type { FrameEvent, SocketEvent } from '../socket-event.js';
import { jwtExpiresAt, type TokenSource } from '../token-source.js';
import type { SocketConnection } from '../socket-connection.js';
import { MAX_TIMER_MS } from '../timer-limit.js';

/** Configuration of {@link authenticate}. */
export interface AuthenticateConfig<TToken = string> {
  /**
   * The token: a value, or a function returning a value, Promise or Observable. Called afresh on
   * every (re)connect, as soon as the socket is created, so the token is ready when it opens.
   */
  token: TokenSource<TToken>;
  /** Builds the auth frame from the token. The token belongs in this payload, never in the URL. */
  message: (token: TToken) => unknown;
  /** Recognises the server's ack: an io-ts codec or a predicate over the parsed frame. */
  ack: FrameMatcher;
  /**
   * Recognises an explicit reject frame, which ends the stream with `AuthRejectedError`.
   * @default undefined (a server that rejects by closing is diagnosed from the close)
   */
  reject?: FrameMatcher;
  /**
   * Extracts the human-readable reason from a reject frame. What it returns goes into
   * `AuthRejectedError` with every occurrence of the token (of its string fields of 8 characters
   * or more, for a token object) replaced by `***`, then clipped to 200 characters: a server that
   * echoes the token in its reason does not put it into an error message or a log.
   * @default the first of `reason`, `message`, `error`, `code`, `status` that is a string or number
   */
  rejectReason?: (frame: unknown) => string;
  /**
   * Milliseconds from open until the ack must have arrived, at most 2147483647; 0 or `Infinity`
   * disables the deadline.
   * @default 10000
   */
  timeout?: number;
  /**
   * When a token expires, in the scheduler's clock (epoch ms by default); used by
   * `reauthOnExpiry({ refreshBefore })`.
   * @default the `exp` claim of a JWT, `undefined` for other tokens
   */
  expiresAt?: (token: TToken) => number | undefined;
  /**
   * Scheduler for the deadline.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Sends the auth frame as the first application frame right after open and waits for the ack.
 * Until the ack, app frames sent through `connection.send` are held, and inbound frames are held
 * too, then released in order; the ack and reject frames themselves are consumed. A close after
 * the auth frame and before the ack becomes an `AuthClosedError` that says so; an explicit reject
 * becomes `AuthRejectedError`; no ack in time becomes `AuthTimeoutError`.
 *
 * @example
 * fromWebSocket(url, { WebSocketCtor: WebSocket }).pipe(
 *   authenticate({ token: () => fetchToken(), message: (token) => ({ type: 'auth', token }), ack: AuthOk }),
 * ).subscribe((event) => console.log(event.type));
 * // connecting
 * // open
 * // authenticated
 * @see reauthOnExpiry
 */
export function authenticate<TToken = string>(config: AuthenticateConfig<TToken>): MonoTypeOperatorFunction<SocketEvent> {
  const exchangeFor = exchangeFactory(config);
  return socketLayer((subscriber) => new AuthGate(subscriber, exchangeFor));
}

/** One subscription's state (see {@link SocketLayer}); user code: the ack and reject matchers, the reason extractor. */
class AuthGate extends SocketLayer {
  private connection: SocketConnection | undefined;
  private round: AuthRound | undefined;
  private releaseAppFrames: (() => void) | undefined;
  private heldInbound: FrameEvent[] = [];

  constructor(
    subscriber: Subscriber<SocketEvent>,
    private readonly exchangeFor: (connection: SocketConnection) => AuthExchange,
  ) {
    super(subscriber);
  }

  override stop(): void {
    this.round?.cancel();
    this.round = undefined;
    this.releaseAppFrames = undefined;
    if (this.heldInbound.length > 0) this.heldInbound = [];
  }

  override error(error: unknown): void {
    super.error(this.round ? this.round.explainClose(error) : error);
  }

  protected override handle(event: SocketEvent): void {
    const { subscriber } = this;
    if (event.type === 'connecting') {
      this.stop();
      const connection = (this.connection = event.connection);
      const exchange = this.exchangeFor(connection);
      registerAuthExchange(connection, exchange);
      this.releaseAppFrames = connection.holdAppFrames();
      const round = (this.round = new AuthRound(exchange, connection, 'authenticating', (error) => subscriber.error(error)));
      subscriber.next(event);
      // The consumer may have left on 'connecting' (teardown cancelled this round): fetch nothing.
      if (this.round === round && !subscriber.closed) round.fetchToken();
      return;
    }
    if (event.type === 'open' && event.connection === this.connection && this.round) {
      event.connection.phase = 'authenticating';
      subscriber.next(event);
      this.round?.startDeadline();
      return;
    }
    if (event.type === 'frame' && event.connection === this.connection && this.round) {
      const verdict = this.round.handle(event.frame);
      if (verdict === 'ack') {
        const authenticatedConnection = this.connection;
        const held = this.heldInbound;
        this.round = undefined;
        this.heldInbound = [];
        authenticatedConnection.phase = 'ready';
        this.releaseAppFrames?.();
        subscriber.next({ type: 'authenticated', connection: authenticatedConnection, reauth: false });
        for (const frameEvent of held) subscriber.next(frameEvent);
      } else if (verdict === 'other') {
        this.heldInbound.push(event);
      }
      return;
    }
    subscriber.next(event);
  }
}

function exchangeFactory<TToken>(config: AuthenticateConfig<TToken>): (connection: SocketConnection) => AuthExchange {
  const {
    token,
    message,
    ack,
    reject,
    rejectReason = defaultRejectReason,
    timeout = 10_000,
    expiresAt = jwtExpiresAt,
    scheduler = asyncScheduler,
  } = config ?? ({} as AuthenticateConfig<TToken>);
  if (token === undefined) throw new TypeError('authenticate: token is required');
  if (typeof message !== 'function') throw new TypeError('authenticate: message must be a function building the auth frame');
  assertMatcher(ack, 'authenticate: ack');
  if (reject !== undefined) assertMatcher(reject, 'authenticate: reject');
  // Longer timers fire at once in browsers and Node, so such a value would fail every auth.
  if (!((timeout >= 0 && timeout <= MAX_TIMER_MS) || timeout === Infinity)) {
    throw new TypeError(
      `authenticate: timeout must be a number of ms from 0 to ${MAX_TIMER_MS} (0 or Infinity: no deadline), got ${String(timeout)}`,
    );
  }
  if (typeof rejectReason !== 'function') throw new TypeError('authenticate: rejectReason must be a function');
  if (typeof expiresAt !== 'function') throw new TypeError('authenticate: expiresAt must be a function');
  const isAck = frameTest(ack);
  const isReject = reject === undefined ? () => false : frameTest(reject);
  return () => ({
    token: token as TokenSource<unknown>,
    message: message as (token: unknown) => unknown,
    isAck,
    isReject,
    rejectReason,
    timeout,
    expiresAt: expiresAt as (token: unknown) => number | undefined,
    scheduler,
    tokenExpiresAt: undefined,
    ack,
  });
}
