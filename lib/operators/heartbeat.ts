import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { checkDuration, checkOption } from '../check-option.js';
import { isReady, socketLayer, SocketLayer } from '../socket-layer.js';
import { HeartbeatTimeoutError } from '../errors.js';
import { assertMatcher, frameTest, never, type FrameMatcher } from '../frame-matcher.js';
import { NOT_JSON, type InboundFrame } from '../inbound-frame.js';
import type { SocketConnection } from '../socket-connection.js';
import type { SocketEvent } from '../socket-event.js';

/** Configuration of {@link heartbeat}. */
export interface HeartbeatConfig {
  /**
   * Milliseconds between client pings while the session is ready; 0 sends none.
   * @default 25000 (under the ~30 s idle limit of common gateways)
   */
  interval?: number;
  /**
   * Milliseconds a ping may wait for its answer before the connection is declared dead. Separate
   * from `interval` on purpose: a half-open connection is noticed within `interval + timeout`.
   * @default 10000
   */
  timeout?: number;
  /**
   * Builds the ping frame. Required when `interval` > 0.
   * @default undefined
   */
  ping?: () => unknown;
  /**
   * Recognises the pong (consumed, never reaches the message stream).
   * @default undefined (then any inbound frame answers a ping)
   */
  pong?: FrameMatcher;
  /**
   * What answers a ping: only a pong, or any inbound frame (useful when the server is chatty
   * and slow to pong).
   * @default 'pong' when `pong` is given, else 'any-frame'
   */
  expect?: 'pong' | 'any-frame';
  /**
   * Server-driven liveness: error when no frame at all arrived for this many ms while ready (for
   * servers that heartbeat the client). 0 turns it off.
   * @default 0
   */
  maxSilence?: number;
  /**
   * Recognises a server's own ping or heartbeat frame; it is consumed (counts as liveness).
   * @default undefined
   */
  serverPing?: FrameMatcher;
  /**
   * Builds the answer to a server ping, for protocols that require one (graphql-transport-ws).
   * @default undefined (no answer)
   */
  replyToServerPing?: (serverPing: unknown) => unknown;
  /**
   * Scheduler for the interval and the deadlines.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Keeps the connection alive and proves it is: sends `ping()` every `interval` while the session
 * is ready and, when no pong comes back within `timeout`, terminates the socket and ends the stream
 * with `HeartbeatTimeoutError`. With `maxSilence` it also (or instead) watches for a server that
 * went quiet. Pongs and server pings are consumed.
 *
 * Timers start when the session becomes ready (after the auth ack, or on open without
 * `authenticate`), so no ping can precede the auth frame.
 *
 * @example
 * socket$.pipe(
 *   heartbeat({ interval: 25_000, timeout: 10_000, ping: () => ({ type: 'ping' }), pong: Pong }),
 * );
 * // a half-open connection errors with HeartbeatTimeoutError within 35 s
 * @see retryWithBackoff
 */
export function heartbeat(config: HeartbeatConfig = {}): MonoTypeOperatorFunction<SocketEvent> {
  const {
    interval = 25_000,
    timeout = 10_000,
    ping,
    pong,
    maxSilence = 0,
    serverPing,
    replyToServerPing,
    scheduler = asyncScheduler,
  } = config ?? {};
  const expect = config?.expect ?? (pong ? 'pong' : 'any-frame');
  // Timers longer than MAX_TIMER_MS fire at once in browsers and Node: a ping storm, or instant death.
  checkDuration(interval, 'heartbeat', 'interval', { zero: 'no pings' });
  checkDuration(timeout, 'heartbeat', 'timeout');
  checkDuration(maxSilence, 'heartbeat', 'maxSilence', { zero: 'off' });
  checkOption(
    replyToServerPing === undefined || typeof replyToServerPing === 'function',
    'heartbeat',
    'replyToServerPing must be a function',
  );
  checkOption(interval === 0 || typeof ping === 'function', 'heartbeat', 'ping must be a function when interval > 0');
  if (pong !== undefined) assertMatcher(pong, 'heartbeat: pong');
  if (serverPing !== undefined) assertMatcher(serverPing, 'heartbeat: serverPing');
  checkOption(expect === 'pong' || expect === 'any-frame', 'heartbeat', "expect must be 'pong' or 'any-frame'");
  checkOption(expect === 'any-frame' || pong !== undefined, 'heartbeat', "expect 'pong' needs a pong matcher");

  const settings: HeartbeatSettings = {
    interval,
    timeout,
    maxSilence,
    anyFrame: expect === 'any-frame',
    ping,
    replyToServerPing,
    isPong: pong === undefined ? never : frameTest(pong),
    isServerPing: serverPing === undefined ? never : frameTest(serverPing),
    scheduler,
  };
  return socketLayer(HeartbeatWatch, settings);
}

/** The validated options, built once per `heartbeat()` call and shared by its subscriptions. */
interface HeartbeatSettings {
  readonly interval: number;
  readonly timeout: number;
  readonly maxSilence: number;
  /** `expect: 'any-frame'`. */
  readonly anyFrame: boolean;
  readonly ping: (() => unknown) | undefined;
  readonly replyToServerPing: ((ping: unknown) => unknown) | undefined;
  readonly isPong: (frame: InboundFrame) => boolean;
  readonly isServerPing: (frame: InboundFrame) => boolean;
  readonly scheduler: SchedulerLike;
}

/**
 * One subscription's state. A class, not closures: thousands of sessions share its methods
 * (memory per session, see bench/RESULTS.md).
 *
 * Timers are one-shot and, wherever possible, started from a network callback (the auth ack, a
 * pong, an inbound frame), never from a chain of timer callbacks: browsers throttle chained timers
 * in background tabs to once a minute (Chrome's intensive throttling), which would starve the pings
 * and get an idle connection killed by the gateway. A timer that had to be re-armed from a timer
 * callback is replaced, at the same due time, on the next inbound answer.
 *
 * Every timer is for `#connection`: a new one (`connecting`) cancels them all first.
 */
class HeartbeatWatch extends SocketLayer {
  readonly #settings: HeartbeatSettings;
  #connection: SocketConnection | undefined;
  #nextPing: Subscription | undefined;
  #pongDeadline: Subscription | undefined;
  #silenceCheck: Subscription | undefined;
  #lastPingAt = 0;
  #lastFrameAt = 0;
  // The pending ping or silence check was armed from a timer callback (see the class comment).
  #pingArmedByTimer = false;
  #silenceArmedByTimer = false;
  // The session is up on `#connection`: its pongs and server pings are ours, even with no timer.
  #live = false;
  // The close that terminate() causes must not replace the real cause.
  #dying = false;

  constructor(subscriber: Subscriber<SocketEvent>, settings: HeartbeatSettings) {
    super(subscriber);
    this.#settings = settings;
  }

  override error(error: unknown): void {
    this.stop();
    if (!this.#dying) super.error(error);
  }

  override complete(): void {
    this.stop();
    super.complete();
  }

  override stop(): void {
    this.#live = false;
    this.#nextPing?.unsubscribe();
    this.#pongDeadline?.unsubscribe();
    this.#silenceCheck?.unsubscribe();
    this.#nextPing = this.#pongDeadline = this.#silenceCheck = undefined;
  }

  protected override handle(event: SocketEvent): void {
    const settings = this.#settings;
    if (event.type === 'connecting') {
      this.stop();
      this.#connection = event.connection;
    } else if (isReady(event) && event.connection === this.#connection) {
      if (!this.#live) {
        const { interval, maxSilence, scheduler } = settings;
        this.#live = true;
        this.#lastFrameAt = scheduler.now();
        if (maxSilence > 0) this.armSilenceCheck(maxSilence, false);
        if (interval > 0) this.armPing(interval, false);
      }
    } else if (event.type === 'frame' && event.connection === this.#connection && this.#live) {
      const pongFrame = settings.isPong(event.frame);
      if ((pongFrame || settings.anyFrame) && this.#pongDeadline) {
        this.#pongDeadline.unsubscribe();
        this.#pongDeadline = undefined;
        if (this.#pingArmedByTimer && this.#nextPing) {
          this.armPing(Math.max(0, this.#lastPingAt + settings.interval - settings.scheduler.now()), false);
        }
      }
      // Per frame only a clock read: the deadline is checked lazily when its timer fires.
      if (settings.maxSilence > 0) {
        this.#lastFrameAt = settings.scheduler.now();
        if (this.#silenceArmedByTimer) this.armSilenceCheck(settings.maxSilence, false);
      }
      if (pongFrame) return;
      if (settings.isServerPing(event.frame)) {
        if (settings.replyToServerPing && event.connection.isOpen) {
          const value = event.frame.json;
          try {
            event.connection.sendFrame(settings.replyToServerPing(value === NOT_JSON ? undefined : value));
          } catch (error) {
            this.die(error);
          }
        }
        return;
      }
    }
    this.subscriber.next(event);
  }

  private armPing(delay: number, byTimer: boolean): void {
    this.#nextPing?.unsubscribe();
    this.#pingArmedByTimer = byTimer;
    this.#nextPing = this.#settings.scheduler.schedule(() => {
      const target = this.#connection!;
      const { ping, interval, timeout, scheduler } = this.#settings;
      this.#nextPing = undefined;
      if (!target.isOpen) return; // its close event follows and ends the session
      try {
        target.sendFrame(ping!());
      } catch (error) {
        this.die(error);
        return;
      }
      this.#lastPingAt = scheduler.now();
      // The deadline runs from the first unanswered ping.
      this.#pongDeadline ??= scheduler.schedule(() => this.die(new HeartbeatTimeoutError('pong', timeout, target.phase), target), timeout);
      // Keeps the cadence even when the answer comes after the next ping is due; an answer in time re-arms it.
      this.armPing(interval, true);
    }, delay);
  }

  private armSilenceCheck(delay: number, byTimer: boolean): void {
    this.#silenceCheck?.unsubscribe();
    this.#silenceArmedByTimer = byTimer;
    this.#silenceCheck = this.#settings.scheduler.schedule(() => {
      const { maxSilence, scheduler } = this.#settings;
      const quietFor = scheduler.now() - this.#lastFrameAt;
      if (quietFor >= maxSilence) this.die(new HeartbeatTimeoutError('silence', maxSilence, this.#connection!.phase), this.#connection);
      else this.armSilenceCheck(maxSilence - quietFor, true);
    }, delay);
  }

  /** Cancels the timers and errors the output; with `dead`, first terminates it (a dead peer never answers a closing handshake). */
  private die(error: unknown, dead?: SocketConnection): void {
    this.stop();
    this.#dying = true;
    dead?.terminate();
    this.subscriber.error(error);
  }
}
