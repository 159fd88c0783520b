import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { socketLayer } from '../socket-layer.js';
import { authExchanges, tokenExpiry } from '../auth-exchange.js';
import { AuthLayer, DEADLINE } from '../auth-round.js';
import { checkDuration, checkOption } from '../check-option.js';
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

const OWNER = 'reauthOnExpiry';

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
  if (timeout !== undefined) checkDuration(timeout, OWNER, 'timeout', DEADLINE);
  // Not a timer (the refresh waits in steps, see scheduleRefresh): any finite lead time will do.
  checkOption(
    refreshBefore === undefined || (refreshBefore >= 0 && Number.isFinite(refreshBefore)),
    OWNER,
    `refreshBefore must be a finite number of ms >= 0, got ${String(refreshBefore)}`,
  );
  const settings: ReauthSettings = { token, timeout, refreshBefore, scheduler, isExpiryNotice: frameTest(expired) };
  return socketLayer(ExpiryWatch, settings);
}

/** The validated options, built once per `reauthOnExpiry()` call and shared by its subscriptions. */
interface ReauthSettings {
  readonly token: unknown;
  readonly timeout: number | undefined;
  readonly refreshBefore: number | undefined;
  readonly scheduler: SchedulerLike;
  readonly isExpiryNotice: (frame: InboundFrame) => boolean;
}

/** One subscription's state (see {@link AuthLayer}); user code: the expiry matcher, the ack matchers. */
class ExpiryWatch extends AuthLayer {
  readonly #settings: ReauthSettings;
  #refreshTimer: Subscription | undefined;

  constructor(subscriber: Subscriber<SocketEvent>, settings: ReauthSettings) {
    super(subscriber);
    this.#settings = settings;
  }

  // The socket is gone (or the consumer left): its refresh timer with it, as its round.
  protected override stop(): void {
    super.stop();
    this.#refreshTimer?.unsubscribe();
    this.#refreshTimer = undefined;
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
            this.authenticated(event, true);
            if (!subscriber.closed) this.scheduleRefresh(event.connection);
            return;
          }
          if (verdict === 'reject') return;
        }
        if (this.#settings.isExpiryNotice(event.frame)) {
          this.startReauth(event.connection, 'expired');
          return;
        }
        break;
      }
    }
    subscriber.next(event);
  }

  private scheduleRefresh(target: SocketConnection): void {
    const { refreshBefore, scheduler } = this.#settings;
    this.#refreshTimer?.unsubscribe();
    this.#refreshTimer = undefined;
    const expiresAt = tokenExpiry.get(target);
    if (refreshBefore === undefined || expiresAt === undefined) return;
    const due = Math.max(0, expiresAt - refreshBefore - scheduler.now());
    // A token valid for weeks is due beyond the longest timer, which would fire at once: wait in steps.
    this.#refreshTimer =
      due > MAX_TIMER_MS
        ? scheduler.schedule(() => this.scheduleRefresh(target), MAX_TIMER_MS)
        : scheduler.schedule(() => this.startReauth(target, 'refresh'), due);
  }

  private startReauth(target: SocketConnection, trigger: 'expired' | 'refresh'): void {
    const { subscriber } = this;
    const { token, timeout, scheduler } = this.#settings;
    if (this.round || target.phase !== 'ready') return; // one re-auth at a time
    const upstream = authExchanges.get(target);
    if (!upstream) {
      subscriber.error(new TypeError('reauthOnExpiry needs authenticate() upstream in the same pipe'));
      return;
    }
    this.#refreshTimer?.unsubscribe();
    target.phase = 'reauthenticating';
    // The new token's expiry is kept under the same connection (tokenExpiry), for the next refresh.
    const exchange = { ...upstream, token: token === undefined ? upstream.token : token, timeout: timeout ?? upstream.timeout, scheduler };
    const round = (this.round = this.begin(target, exchange, 'reauthenticating'));
    subscriber.next({ type: 'reauthenticating', connection: target, trigger });
    if (this.round !== round || subscriber.closed) return; // the consumer left on that event
    round.fetchToken();
    this.round?.startDeadline();
  }
}
