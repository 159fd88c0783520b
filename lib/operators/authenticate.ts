import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber } from 'rxjs';
import { socketLayer } from '../socket-layer.js';
import { authExchanges, defaultRejectReason, type AuthExchange } from '../auth-exchange.js';
import { AuthLayer, DEADLINE } from '../auth-round.js';
import { checkDuration, checkOption } from '../check-option.js';
import { assertMatcher, frameTest, never, type FrameMatcher } from '../frame-matcher.js';
import type { FrameEvent, SocketEvent } from '../socket-event.js';
import { jwtExpiresAt, type TokenSource } from '../token-source.js';

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

const OWNER = 'authenticate';

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
  checkOption(token !== undefined, OWNER, 'token is required');
  checkOption(typeof message === 'function', OWNER, 'message must be a function building the auth frame');
  assertMatcher(ack, 'authenticate: ack');
  if (reject !== undefined) assertMatcher(reject, 'authenticate: reject');
  checkDuration(timeout, OWNER, 'timeout', DEADLINE);
  checkOption(typeof rejectReason === 'function', OWNER, 'rejectReason must be a function');
  checkOption(typeof expiresAt === 'function', OWNER, 'expiresAt must be a function');
  // One exchange for every subscription and socket: what a socket's round changes (the token's
  // expiry) is kept per connection (auth-exchange.ts).
  const exchange: AuthExchange = {
    token,
    message: message as (token: unknown) => unknown,
    isAck: frameTest(ack),
    isReject: reject === undefined ? never : frameTest(reject),
    rejectReason,
    timeout,
    expiresAt: expiresAt as (token: unknown) => number | undefined,
    scheduler,
  };
  return socketLayer(AuthGate, exchange);
}

/** One subscription's state (see {@link AuthLayer}); user code: the ack and reject matchers, the reason extractor. */
class AuthGate extends AuthLayer {
  readonly #exchange: AuthExchange;
  #held: FrameEvent[] = [];

  constructor(subscriber: Subscriber<SocketEvent>, exchange: AuthExchange) {
    super(subscriber);
    this.#exchange = exchange;
  }

  protected override stop(): void {
    super.stop();
    if (this.#held.length > 0) this.#held = [];
  }

  protected override handle(event: SocketEvent): void {
    const { subscriber } = this;
    if (event.type === 'connecting') {
      this.stop();
      const connection = (this.connection = event.connection);
      authExchanges.set(connection, this.#exchange);
      const round = (this.round = this.begin(connection, this.#exchange, 'authenticating'));
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
        const held = this.#held;
        this.#held = [];
        this.authenticated(event, false);
        for (const frameEvent of held) subscriber.next(frameEvent);
      } else if (verdict === 'other') {
        this.#held.push(event);
      }
      return;
    }
    subscriber.next(event);
  }
}
