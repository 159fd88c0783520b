import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { socketLayer, SocketLayer } from '../socket-layer.js';
import { authExchangeOf, type AuthExchange } from '../auth-exchange.js';
import { AuthRound } from '../auth-round.js';
import { assertMatcher, frameTest, type FrameMatcher } from '../frame-matcher.js';
import type { InboundFrame } from '../inbound-frame.js';
import type { SocketConnection } from '../socket-connection.js';
import type { SocketEvent } from '../socket-event.js';
import type { TokenSource } from '../token-source.js';
import { MAX_TIMER_MS } from '../timer-limit.js';

/** Configuration of {@link reauthOnExpiry}. */
export interface ReauthOnExpiryConfig<TToken = string> {
  /** Recognises the server's "token expired" notice (consumed, never reaches the message stream). */
  expired: FrameMatcher;
  /**
   * Where the fresh token comes from.
   * @default the `token` of `authenticate` upstream
   */
  token?: TokenSource<TToken>;
  /**
   * Milliseconds from the start of the re-auth (token fetch included) until the ack must have arrived, at most 2147483647; 0 or
   * `Infinity` disables it.
   * @default the `timeout` of `authenticate` upstream
   */
  timeout?: number;
  /**
   * Re-authenticate this many ms before the token expires (its JWT `exp`, or `authenticate`'s
   * `expiresAt`), so a server that does not announce expiry never sees an expired token.
   * @default undefined (only react to the server's notice)
   */
  refreshBefore?: number;
  /**
   * Scheduler for the deadline and the proactive refresh.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Re-authenticates on the SAME socket when the server says the token expired: fetches a fresh
 * token, sends the auth frame again (as `authenticate` upstream builds it), waits for the ack,
 * and holds app frames meanwhile so none reaches the server unauthenticated. Emits
 * `reauthenticating` then `authenticated` (with `reauth: true`). A reject, a timeout or a close
 * during re-auth ends the stream with a typed error, which `retryWithBackoff` turns into a
 * reconnect. Place it after `authenticate`.
 *
 * @example
 * socket$.pipe(
 *   authenticate({ token: fetchToken, message: (token) => ({ type: 'auth', token }), ack: AuthOk }),
 *   reauthOnExpiry({ expired: AuthExpired, refreshBefore: 30_000 }),
 * ).subscribe((event) => console.log(event.type));
 * // ... authenticated, reauthenticating, authenticated
 * @see authenticate
 */
export function reauthOnExpiry<TToken = string>(config: ReauthOnExpiryConfig<TToken>): MonoTypeOperatorFunction<SocketEvent> {
  const { expired, token, timeout, refreshBefore, scheduler = asyncScheduler } = config ?? ({} as ReauthOnExpiryConfig<TToken>);
  assertMatcher(expired, 'reauthOnExpiry: expired');
  // Longer timers fire at once in browsers and Node, so such a deadline would fail every re-auth.
  if (timeout !== undefined && !((timeout >= 0 && timeout <= MAX_TIMER_MS) || timeout === Infinity)) {
    throw new TypeError(
      `reauthOnExpiry: timeout must be a number of ms from 0 to ${MAX_TIMER_MS} (0 or Infinity: no deadline), got ${String(timeout)}`,
    );
  }
  if (refreshBefore !== undefined && !(refreshBefore >= 0 && Number.isFinite(refreshBefore))) {
    throw new TypeError(`reauthOnExpiry: refreshBefore must be a finite number of ms >= 0, got ${String(refreshBefore)}`);
  }
  const isExpiryNotice = frameTest(expired);

  const settings: ReauthSettings = { token, timeout, refreshBefore, scheduler, isExpiryNotice };
  return socketLayer((subscriber) => new ExpiryWatch(subscriber, settings));
}

/** The validated options, built once per `reauthOnExpiry()` call and shared by its subscriptions. */
interface ReauthSettings {
  readonly token: unknown;
  readonly timeout: number | undefined;
  readonly refreshBefore: number | undefined;
  readonly scheduler: SchedulerLike;
  readonly isExpiryNotice: (frame: InboundFrame) => boolean;
}

/** One subscription's state (see {@link SocketLayer}); user code: the expiry matcher, the ack matchers. */
class ExpiryWatch extends SocketLayer {
  private connection: SocketConnection | undefined;
  private round: AuthRound | undefined;
  private releaseAppFrames: (() => void) | undefined;
  private refreshTimer: Subscription | undefined;

  constructor(
    subscriber: Subscriber<SocketEvent>,
    private readonly settings: ReauthSettings,
  ) {
    super(subscriber);
  }

  // The socket is gone (or the consumer left): its round, held frames and refresh timer with it.
  override stop(): void {
    this.round?.cancel();
    this.round = undefined;
    this.releaseAppFrames = undefined; // the socket is gone with its held frames
    this.refreshTimer?.unsubscribe();
    this.refreshTimer = undefined;
  }

  override error(error: unknown): void {
    super.error(this.round ? this.round.explainClose(error) : error);
  }

  protected override handle(event: SocketEvent): void {
    const { subscriber } = this;
    switch (event.type) {
      case 'connecting':
        this.stop();
        this.connection = event.connection;
        subscriber.next(event);
        return;
      case 'authenticated':
        subscriber.next(event);
        // No timer may outlive a consumer that left on this event.
        if (!subscriber.closed) this.scheduleRefresh(event.connection);
        return;
      case 'frame': {
        if (event.connection !== this.connection) break;
        if (this.round) {
          const verdict = this.round.handle(event.frame);
          if (verdict === 'ack') {
            this.round = undefined;
            event.connection.phase = 'ready';
            this.releaseAppFrames?.();
            this.releaseAppFrames = undefined;
            subscriber.next({ type: 'authenticated', connection: event.connection, reauth: true });
            if (!subscriber.closed) this.scheduleRefresh(event.connection);
            return;
          }
          if (verdict === 'reject') return;
        }
        if (this.settings.isExpiryNotice(event.frame)) {
          this.startReauth(event.connection, 'expired');
          return;
        }
        break;
      }
    }
    subscriber.next(event);
  }

  private exchangeOf(target: SocketConnection): AuthExchange {
    const { token, timeout, scheduler } = this.settings;
    const upstream = authExchangeOf(target);
    if (!upstream) throw new TypeError('reauthOnExpiry needs authenticate() upstream in the same pipe');
    return {
      ...upstream,
      token: token === undefined ? upstream.token : (token as TokenSource<unknown>),
      timeout: timeout ?? upstream.timeout,
      scheduler,
      // written back so the next proactive refresh sees the new token's expiry
      set tokenExpiresAt(value: number | undefined) {
        upstream.tokenExpiresAt = value;
      },
      get tokenExpiresAt() {
        return upstream.tokenExpiresAt;
      },
    };
  }

  private scheduleRefresh(target: SocketConnection): void {
    const { refreshBefore, scheduler } = this.settings;
    this.refreshTimer?.unsubscribe();
    this.refreshTimer = undefined;
    const expiresAt = authExchangeOf(target)?.tokenExpiresAt;
    if (refreshBefore === undefined || expiresAt === undefined) return;
    const due = Math.max(0, expiresAt - refreshBefore - scheduler.now());
    // A token valid for weeks is due beyond the longest timer, which would fire at once: wait in steps.
    this.refreshTimer =
      due > MAX_TIMER_MS
        ? scheduler.schedule(() => this.scheduleRefresh(target), MAX_TIMER_MS)
        : scheduler.schedule(() => this.startReauth(target, 'refresh'), due);
  }

  private startReauth(target: SocketConnection, trigger: 'expired' | 'refresh'): void {
    const { subscriber } = this;
    if (this.round || target.phase !== 'ready') return; // one re-auth at a time
    let exchange: AuthExchange;
    try {
      exchange = this.exchangeOf(target);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    this.refreshTimer?.unsubscribe();
    target.phase = 'reauthenticating';
    this.releaseAppFrames = target.holdAppFrames();
    const round = (this.round = new AuthRound(exchange, target, 'reauthenticating', (error) => subscriber.error(error)));
    subscriber.next({ type: 'reauthenticating', connection: target, trigger });
    if (this.round !== round || subscriber.closed) return; // the consumer left on that event
    round.fetchToken();
    this.round?.startDeadline();
  }
}
