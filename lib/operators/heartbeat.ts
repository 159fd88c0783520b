import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { socketLayer, SocketLayer } from '../socket-layer.js';
import { HeartbeatTimeoutError } from '../errors.js';
import { assertMatcher, frameTest, type FrameMatcher } from '../frame-matcher.js';
import { NOT_JSON, type InboundFrame } from '../inbound-frame.js';
import type { SocketConnection } from '../socket-connection.js';
import type { SocketEvent } from '../socket-event.js';
import { MAX_TIMER_MS } from '../timer-limit.js';

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
  if (!(interval >= 0 && interval <= MAX_TIMER_MS)) {
    throw new TypeError(`heartbeat: interval must be a number of ms from 0 (no pings) to ${MAX_TIMER_MS}, got ${String(interval)}`);
  }
  if (!(timeout > 0 && timeout <= MAX_TIMER_MS)) {
    throw new TypeError(`heartbeat: timeout must be a number of ms above 0 and at most ${MAX_TIMER_MS}, got ${String(timeout)}`);
  }
  if (!(maxSilence >= 0 && maxSilence <= MAX_TIMER_MS)) {
    throw new TypeError(`heartbeat: maxSilence must be a number of ms from 0 (off) to ${MAX_TIMER_MS}, got ${String(maxSilence)}`);
  }
  if (replyToServerPing !== undefined && typeof replyToServerPing !== 'function') {
    throw new TypeError('heartbeat: replyToServerPing must be a function');
  }
  if (interval > 0 && typeof ping !== 'function') throw new TypeError('heartbeat: ping must be a function when interval > 0');
  if (pong !== undefined) assertMatcher(pong, 'heartbeat: pong');
  if (serverPing !== undefined) assertMatcher(serverPing, 'heartbeat: serverPing');
  if (expect !== 'pong' && expect !== 'any-frame') throw new TypeError("heartbeat: expect must be 'pong' or 'any-frame'");
  if (expect === 'pong' && pong === undefined) throw new TypeError("heartbeat: expect 'pong' needs a pong matcher");
  const isPong = pong === undefined ? () => false : frameTest(pong);
  const isServerPing = serverPing === undefined ? () => false : frameTest(serverPing);

  const settings: HeartbeatSettings = {
    interval,
    timeout,
    maxSilence,
    expect,
    ping,
    replyToServerPing,
    isPong,
    isServerPing,
    scheduler,
  };
  return socketLayer((subscriber) => new HeartbeatWatch(subscriber, settings));
}

/** The validated options, built once per `heartbeat()` call and shared by its subscriptions. */
interface HeartbeatSettings {
  readonly interval: number;
  readonly timeout: number;
  readonly maxSilence: number;
  readonly expect: 'pong' | 'any-frame';
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
 */
class HeartbeatWatch extends SocketLayer {
  private connection: SocketConnection | undefined;
  private nextPing: Subscription | undefined;
  private pongDeadline: Subscription | undefined;
  private silenceCheck: Subscription | undefined;
  private lastPingAt = 0;
  private lastFrameAt = 0;
  // The pending ping or silence check was armed from a timer callback (see the class comment).
  private pingArmedByTimer = false;
  private silenceArmedByTimer = false;
  // The session is up on `connection`: its pongs and server pings are ours, even with no timer.
  private live = false;
  // The close that terminate() causes must not replace the real cause.
  private dying = false;

  constructor(
    subscriber: Subscriber<SocketEvent>,
    private readonly settings: HeartbeatSettings,
  ) {
    super(subscriber);
  }

  override error(error: unknown): void {
    this.stop();
    if (!this.dying) super.error(error);
  }

  override complete(): void {
    this.stop();
    super.complete();
  }

  override stop(): void {
    this.live = false;
    this.nextPing?.unsubscribe();
    this.pongDeadline?.unsubscribe();
    this.silenceCheck?.unsubscribe();
    this.nextPing = this.pongDeadline = this.silenceCheck = undefined;
  }

  protected override handle(event: SocketEvent): void {
    const { subscriber, settings } = this;
    if (event.type === 'connecting') {
      this.stop();
      this.connection = event.connection;
    } else if (
      (event.type === 'authenticated' || (event.type === 'open' && event.connection.phase === 'ready')) &&
      event.connection === this.connection
    ) {
      this.start(event.connection);
    } else if (event.type === 'frame' && event.connection === this.connection && this.live) {
      const pongFrame = settings.isPong(event.frame);
      if (pongFrame || settings.expect === 'any-frame') this.answered(event.connection);
      if (settings.maxSilence > 0) this.heardFrom(event.connection);
      if (pongFrame) return;
      if (settings.isServerPing(event.frame)) {
        if (settings.replyToServerPing && event.connection.isOpen) {
          const value = event.frame.json;
          try {
            event.connection.sendFrame(settings.replyToServerPing(value === NOT_JSON ? undefined : value));
          } catch (error) {
            this.stop();
            subscriber.error(error);
          }
        }
        return;
      }
    }
    subscriber.next(event);
  }

  private start(target: SocketConnection): void {
    if (this.live) return;
    this.live = true;
    const { interval, maxSilence, scheduler } = this.settings;
    this.lastFrameAt = scheduler.now();
    if (maxSilence > 0) this.armSilenceCheck(target, maxSilence, false);
    if (interval > 0) this.armPing(target, interval, false);
  }

  private armPing(target: SocketConnection, delay: number, byTimer: boolean): void {
    this.nextPing?.unsubscribe();
    this.pingArmedByTimer = byTimer;
    this.nextPing = this.settings.scheduler.schedule(() => this.beat(target), delay);
  }

  private beat(target: SocketConnection): void {
    this.nextPing = undefined;
    if (!target.isOpen) return; // its close event follows and ends the session
    const { ping, interval, timeout, scheduler } = this.settings;
    try {
      target.sendFrame(ping!());
    } catch (error) {
      this.stop();
      this.subscriber.error(error);
      return;
    }
    this.lastPingAt = scheduler.now();
    // The deadline runs from the first unanswered ping.
    this.pongDeadline ??= scheduler.schedule(() => this.die(target, new HeartbeatTimeoutError('pong', timeout, target.phase)), timeout);
    // Keeps the cadence even when the answer comes after the next ping is due; an answer in time re-arms it.
    this.armPing(target, interval, true);
  }

  private answered(target: SocketConnection): void {
    if (this.pongDeadline === undefined) return;
    this.pongDeadline.unsubscribe();
    this.pongDeadline = undefined;
    if (this.pingArmedByTimer && this.nextPing !== undefined) {
      const { interval, scheduler } = this.settings;
      this.armPing(target, Math.max(0, this.lastPingAt + interval - scheduler.now()), false);
    }
  }

  // Per frame only a clock read: the deadline is checked lazily when its timer fires.
  private heardFrom(target: SocketConnection): void {
    const { maxSilence, scheduler } = this.settings;
    this.lastFrameAt = scheduler.now();
    if (this.silenceArmedByTimer) this.armSilenceCheck(target, maxSilence, false);
  }

  private armSilenceCheck(target: SocketConnection, delay: number, byTimer: boolean): void {
    this.silenceCheck?.unsubscribe();
    this.silenceArmedByTimer = byTimer;
    this.silenceCheck = this.settings.scheduler.schedule(() => this.checkSilence(target), delay);
  }

  private checkSilence(target: SocketConnection): void {
    const { maxSilence, scheduler } = this.settings;
    const quietFor = scheduler.now() - this.lastFrameAt;
    if (quietFor >= maxSilence) this.die(target, new HeartbeatTimeoutError('silence', maxSilence, target.phase));
    else this.armSilenceCheck(target, maxSilence - quietFor, true);
  }

  private die(target: SocketConnection, error: HeartbeatTimeoutError): void {
    this.stop();
    this.dying = true;
    target.terminate(); // a dead peer never answers a closing handshake
    this.subscriber.error(error);
  }
}
