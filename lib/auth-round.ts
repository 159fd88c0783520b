import type { Observer, Subscription } from 'rxjs';
import { tokenExpiry, type AuthExchange } from './auth-exchange.js';
import type { DurationRule } from './check-option.js';
import { clipText, SERVER_TEXT_LENGTH } from './clip-text.js';
import { AuthClosedError, AuthRejectedError, AuthTimeoutError, ConnectionClosedError } from './errors.js';
import type { InboundFrame } from './inbound-frame.js';
import type { SocketConnection } from './socket-connection.js';
import type { FrameEvent } from './socket-event.js';
import { SocketLayer } from './socket-layer.js';
import { tokenFrom } from './token-source.js';

/** What a round does with a frame: it was the ack, the reject, or not ours. */
export type RoundVerdict = 'ack' | 'reject' | 'other';

/** The `timeout` of `authenticate` and `reauthOnExpiry`, for `checkDuration`. */
export const DEADLINE: DurationRule = { zero: 'no deadline', infinity: 'no deadline' };

/** No token yet, or no longer held (a token may be any value, `undefined` included). */
const NONE = Symbol();

/**
 * One auth exchange on one socket: fetch a token, send the auth frame as soon as the socket is
 * open, and wait for the ack within the deadline. Shared by `authenticate` (on connect) and
 * `reauthOnExpiry` (on the same socket later). `#` names, because a minifier shortens those.
 */
export class AuthRound {
  #token: unknown = NONE;
  // The token's strings, kept until the round settles: a server that echoes the token in its
  // reject or close reason must not put it into an error message.
  #secrets: readonly string[] = [];
  #sentAt: number | undefined; // when the auth frame went out, in the scheduler's clock
  #fetch: Subscription | undefined;
  #deadline: Subscription | undefined;
  #settled = false;
  #started = false;
  readonly #exchange: AuthExchange;
  readonly #connection: SocketConnection;
  readonly #phase: 'authenticating' | 'reauthenticating';
  readonly #downstream: Pick<Observer<unknown>, 'error'>;

  constructor(
    exchange: AuthExchange,
    connection: SocketConnection,
    phase: 'authenticating' | 'reauthenticating',
    downstream: Pick<Observer<unknown>, 'error'>,
  ) {
    this.#exchange = exchange;
    this.#connection = connection;
    this.#phase = phase;
    this.#downstream = downstream;
  }

  /** Starts fetching the token; the frame goes out once both the token and an open socket exist. */
  fetchToken(): void {
    this.#fetch = tokenFrom(this.#exchange.token, this.#phase).subscribe(new TokenObserver(this));
  }

  /** The token, from the token stream. */
  receiveToken(token: unknown): void {
    this.#token = token;
    this.send();
  }

  /** The token stream failed (a `TokenProviderError`): the round fails with it. */
  fail(error: unknown): void {
    this.settle(error);
  }

  /** Starts the ack deadline (on open, or at once for a re-auth) and sends if the token is here. */
  startDeadline(): void {
    const { timeout, scheduler } = this.#exchange;
    this.#started = true;
    if (timeout > 0 && Number.isFinite(timeout)) {
      this.#deadline = scheduler.schedule(() => this.settle(new AuthTimeoutError(timeout, this.#phase)), timeout);
    }
    this.send();
  }

  /** Classifies an inbound frame; settles the round on its ack or reject. */
  handle(frame: InboundFrame): RoundVerdict {
    const exchange = this.#exchange;
    if (this.#settled || this.#sentAt === undefined) return 'other';
    if (exchange.isAck(frame)) {
      this.settle(undefined);
      return 'ack';
    }
    if (!exchange.isReject(frame)) return 'other';
    const reason = clipText(redact(exchange.rejectReason(frame.json), this.#secrets), SERVER_TEXT_LENGTH);
    this.settle(new AuthRejectedError(reason, this.#phase));
    return 'reject';
  }

  /**
   * Turns a close during this round into the diagnosis a user needs: after the auth frame and
   * before any ack, a server's own close (a clean one, not "going away" or "restarting") almost
   * always means it rejected the auth payload. A dropped network (1006) or a server shutting down
   * is no verdict on the payload and stays a plain `ConnectionClosedError`, retried as usual.
   */
  explainClose(error: unknown): unknown {
    const sentAt = this.#sentAt;
    if (this.#settled || sentAt === undefined || !(error instanceof ConnectionClosedError)) return error;
    if (error instanceof AuthClosedError || !error.wasClean || NOT_ABOUT_AUTH.includes(error.closeCode)) return error;
    return new AuthClosedError(
      error.closeCode,
      redact(error.reason, this.#secrets),
      error.wasClean,
      this.#phase,
      error.msSinceOpen,
      this.#exchange.scheduler.now() - sentAt,
    );
  }

  /** Stops the token fetch and the deadline; nothing is left scheduled. */
  cancel(): void {
    this.#settled = true;
    this.#secrets = [];
    this.#fetch?.unsubscribe();
    this.#deadline?.unsubscribe();
  }

  private send(): void {
    const token = this.#token;
    const connection = this.#connection;
    const exchange = this.#exchange;
    // Once sent, the token is NONE again: one frame per round.
    if (!this.#started || this.#settled || token === NONE) return;
    if (!connection.isOpen) return; // the close that follows reports it
    try {
      connection.sendFrame(exchange.message(token));
      tokenExpiry.set(connection, exchange.expiresAt(token));
      this.#secrets = secretsOf(token);
    } catch (error) {
      this.settle(error);
      return;
    }
    this.#token = NONE; // hold the secret no longer than needed
    this.#sentAt = exchange.scheduler.now();
  }

  private settle(error: unknown): void {
    if (this.#settled) return;
    this.cancel();
    if (error !== undefined) this.#downstream.error(error);
  }
}

/**
 * Observes a round's token stream: a small object with no closures, and not the round itself,
 * because under rxjs's `config.useDeprecatedNextContext` rxjs calls an observer's methods on
 * `Object.create(observer)`, where the round's `#` fields do not exist (reading `this.round`
 * through the prototype still works).
 */
class TokenObserver {
  constructor(private readonly round: AuthRound) {}

  next(token: unknown): void {
    this.round.receiveToken(token);
  }

  error(error: unknown): void {
    this.round.fail(error);
  }
}

/**
 * The state both auth operators keep per subscription (see {@link SocketLayer}): the socket, its
 * round, and the release of the app frames held during the round.
 */
export abstract class AuthLayer extends SocketLayer {
  protected connection: SocketConnection | undefined;
  protected round: AuthRound | undefined;
  protected release: (() => void) | undefined;

  // The socket is gone (or the consumer left): its round and held frames with it.
  protected override stop(): void {
    this.round?.cancel();
    this.round = this.release = undefined;
  }

  override error(error: unknown): void {
    super.error(this.round ? this.round.explainClose(error) : error);
  }

  /** Holds app frames on `connection` and returns a round there, for `this.round` (the caller starts it). */
  protected begin(connection: SocketConnection, exchange: AuthExchange, phase: 'authenticating' | 'reauthenticating'): AuthRound {
    this.release = connection.holdAppFrames();
    return new AuthRound(exchange, connection, phase, this.subscriber);
  }

  /** The round's ack arrived: the socket is ready, held app frames go out, `authenticated` is emitted. */
  protected authenticated(event: FrameEvent, reauth: boolean): void {
    const { connection } = event;
    this.round = undefined;
    connection.phase = 'ready';
    this.release?.();
    this.release = undefined;
    this.subscriber.next({ type: 'authenticated', connection, reauth });
  }
}

/** `text` with every secret replaced by `***` (before any clipping, so no part of one survives a cut). */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.replaceAll(secret, '***'), text);
}

/**
 * The strings of a token worth hiding: the token itself, or the string fields (8 characters or
 * more, a few levels deep) of a token object such as `{ jwt, refreshToken }`. Shorter strings are
 * test placeholders or field values ('Bearer', 'guest'), not secrets: hiding them would garble
 * every reason that happens to contain them.
 */
function secretsOf(token: unknown, depth = 0): string[] {
  if (typeof token === 'string') return token.length >= 8 ? [token] : [];
  if (typeof token !== 'object' || token === null || depth > 3) return [];
  return Object.values(token).flatMap((value) => secretsOf(value, depth + 1));
}

/** Clean closes that say nothing about the auth payload: going away, restarting, try again later, bad gateway. */
const NOT_ABOUT_AUTH = [1001, 1012, 1013, 1014];
