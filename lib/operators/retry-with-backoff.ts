import {
  asyncScheduler,
  Observable,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
  type Unsubscribable,
} from 'rxjs';
import { backoffDelay, isJitter, JITTERS, type Jitter } from '../backoff.js';
import { checkDuration, checkOption } from '../check-option.js';
import { shouldRetry as defaultShouldRetry, type ShouldRetry } from '../close-codes.js';
import { RetryExhaustedError } from '../errors.js';
import { LayerSubscriber, type Downstream } from '../layer-subscriber.js';
import { isReady } from '../socket-layer.js';
import type { SocketEvent } from '../socket-event.js';

/** What {@link RetryWithBackoffConfig.onRetry} is told before each reconnect. */
export interface RetryInfo {
  /** 1 for the first reconnect of an outage, counting up until the session has been ready for `resetAfter`. */
  readonly attempt: number;
  /** Milliseconds until the new subscription; never more than `maxDelay`. */
  readonly delay: number;
  /** The error that ended the previous connection. */
  readonly cause: unknown;
}

/** Configuration of {@link retryWithBackoff}. All times in milliseconds. */
export interface RetryWithBackoffConfig {
  /**
   * Delay before the first reconnect (before jitter). At most 2147483647 (2^31 - 1, the longest
   * timer a runtime keeps).
   * @default 1000
   */
  initialDelay?: number;
  /**
   * Growth factor of the delay per attempt; at least 1.
   * @default 2
   */
  multiplier?: number;
  /**
   * No delay is ever longer. At least `initialDelay` and at most 2147483647 (2^31 - 1: browsers
   * and Node run a longer timer at once, which would make the backoff a reconnect loop).
   * @default 30000
   */
  maxDelay?: number;
  /**
   * How the delay is randomised so that clients dropped together do not come back together
   * (see {@link Jitter}).
   * @default 'full'
   */
  jitter?: Jitter;
  /**
   * Source of randomness for the jitter, uniform in `[0, 1)`. Inject a fixed one in tests.
   * @default Math.random
   */
  random?: () => number;
  /**
   * Reconnects allowed per outage; the failure after the last one errors with
   * {@link RetryExhaustedError}. 0 never reconnects.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * Milliseconds since the first failure of the current outage after which a further failure is
   * not retried but errors with {@link RetryExhaustedError}.
   * @default Infinity
   */
  maxElapsed?: number;
  /**
   * Once the session has been ready (an `authenticated` event, or an `open` event whose connection
   * is in phase 'ready' when no `authenticate` is in the pipe) for this long, the outage is over:
   * the attempt counter, the `maxElapsed` clock and the decorrelated jitter start afresh. A failure
   * sooner keeps counting. At most 2147483647 (a longer timer would fire at once), or `Infinity`:
   * never reset.
   * @default 5000
   */
  resetAfter?: number;
  /**
   * Decides whether an error is worth a reconnect; `false` errors the output with that error,
   * unchanged. If it throws, the output errors with what it threw.
   * @default shouldRetry from close-codes (the CLOSE_CODES table)
   */
  shouldRetry?: ShouldRetry;
  /**
   * Called before each reconnect, before the `reconnecting` event is emitted (for logs and
   * metrics). If it throws, the output errors with what it threw and no reconnect happens.
   * @default undefined
   */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Scheduler for the delays and the `resetAfter` timer, and the clock for `maxElapsed`.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Resubscribes to the source (a new socket) after a retryable error, with exponential backoff and
 * jitter, announcing each reconnect downstream as a `reconnecting` event.
 *
 * The first connect is retried like any other: an error before the session was ever ready is
 * attempt 1. A fatal error (per `shouldRetry`) passes through unchanged; running out of attempts
 * or time errors with {@link RetryExhaustedError}, whose `cause` is the last failure. Completion of
 * the source completes the output. Pass a number as a shorthand for `maxAttempts`.
 *
 * @example
 * fromWebSocket(url, { WebSocketCtor: WebSocket })
 *   .pipe(retryWithBackoff({ initialDelay: 1000, jitter: 'none', maxAttempts: 3 }))
 *   .subscribe((event) => console.log(event.type === 'reconnecting' ? `${event.type} #${event.attempt} in ${event.delay} ms` : event.type));
 * // with a server that is down:
 * // connecting
 * // reconnecting #1 in 1000 ms
 * // connecting
 * // reconnecting #2 in 2000 ms
 * // connecting
 * // reconnecting #3 in 4000 ms
 * // connecting
 * // then the error: RetryExhaustedError (attempts 3, cause ConnectionClosedError 1006)
 * @see shouldRetry, CLOSE_CODES, backoffDelay, heartbeat
 */
export function retryWithBackoff(config: RetryWithBackoffConfig | number = {}): MonoTypeOperatorFunction<SocketEvent> {
  const {
    initialDelay = 1000,
    multiplier = 2,
    maxDelay = 30_000,
    jitter = 'full',
    random = Math.random,
    maxAttempts = Infinity,
    maxElapsed = Infinity,
    resetAfter = 5000,
    shouldRetry = defaultShouldRetry,
    onRetry,
    scheduler = asyncScheduler,
  } = typeof config === 'number' ? { maxAttempts: config } : config;

  // Timers: a delay above MAX_TIMER_MS fires at once in browsers and Node, so it is refused, not clamped.
  checkDuration(initialDelay, 'retryWithBackoff', 'initialDelay', { zero: 'no delay' });
  checkDuration(maxDelay, 'retryWithBackoff', 'maxDelay', { zero: 'no delay' });
  checkOption(maxDelay >= initialDelay, 'retryWithBackoff', `maxDelay (${maxDelay}) must be >= initialDelay (${initialDelay})`);
  checkOption(
    multiplier >= 1 && Number.isFinite(multiplier),
    'retryWithBackoff',
    `multiplier must be a finite number >= 1, got ${multiplier}`,
  );
  checkOption(isJitter(jitter), 'retryWithBackoff', `jitter must be one of '${JITTERS.join("', '")}', got ${String(jitter)}`);
  checkOption(typeof random === 'function', 'retryWithBackoff', 'random must be a function returning a number in [0, 1)');
  checkOption(maxAttempts >= 0, 'retryWithBackoff', `maxAttempts must be a number >= 0 (or Infinity), got ${maxAttempts}`);
  checkOption(maxElapsed >= 0, 'retryWithBackoff', `maxElapsed must be a number >= 0 (or Infinity), got ${maxElapsed}`);
  checkDuration(resetAfter, 'retryWithBackoff', 'resetAfter', { zero: 'reset when ready', infinity: 'never reset' });
  checkOption(typeof shouldRetry === 'function', 'retryWithBackoff', 'shouldRetry must be a function');
  checkOption(onRetry === undefined || typeof onRetry === 'function', 'retryWithBackoff', 'onRetry must be a function');

  const settings: RetrySettings = {
    initialDelay,
    multiplier,
    maxDelay,
    jitter,
    random,
    maxAttempts,
    maxElapsed,
    resetAfter,
    shouldRetry,
    onRetry,
    scheduler,
  };
  return (source) =>
    new Observable<SocketEvent>((subscriber) => {
      const retrier = new Retrier(source, subscriber, settings);
      retrier.subscribe();
      return retrier;
    });
}

/** The validated options, built once per `retryWithBackoff()` call and shared by its subscriptions. */
type RetrySettings = Required<Omit<RetryWithBackoffConfig, 'onRetry'>> & Pick<RetryWithBackoffConfig, 'onRetry'>;

/**
 * One subscription's state. A class, not closures: thousands of sessions share its methods
 * (memory per session, see bench/RESULTS.md). `#` fields: a minifier shortens them.
 */
class Retrier implements Downstream<SocketEvent>, Unsubscribable {
  readonly #source: Observable<SocketEvent>;
  readonly #subscriber: Subscriber<SocketEvent>;
  readonly #settings: RetrySettings;
  #attempt = 0;
  #outageStart: number | undefined;
  #previousDelay: number;
  #sourceSubscription: Unsubscribable | undefined;
  #delayTimer: Subscription | undefined;
  #resetTimer: Subscription | undefined;

  constructor(source: Observable<SocketEvent>, subscriber: Subscriber<SocketEvent>, settings: RetrySettings) {
    this.#source = source;
    this.#subscriber = subscriber;
    this.#settings = settings;
    this.#previousDelay = settings.initialDelay;
  }

  /** Whether the consumer left. */
  get closed(): boolean {
    return this.#subscriber.closed;
  }

  subscribe(): void {
    const attempt = new Attempt(this);
    this.#source.subscribe(attempt);
    // The consumer may have left during that call (on the new socket's 'connecting'): close it.
    if (this.closed) attempt.unsubscribe();
    else this.#sourceSubscription = attempt;
  }

  /** The consumer left: the current attempt and every timer go. */
  unsubscribe(): void {
    this.#sourceSubscription?.unsubscribe();
    this.#delayTimer?.unsubscribe();
    this.stopResetTimer();
  }

  next(event: SocketEvent): void {
    // Unless there is nothing to forget, or it is already counting down.
    if (isReady(event) && !this.#resetTimer && (this.#attempt || this.#outageStart !== undefined)) this.readyNow();
    this.#subscriber.next(event);
  }

  error(error: unknown): void {
    const subscriber = this.#subscriber;
    const settings = this.#settings;
    this.stopResetTimer();
    let retryable: boolean;
    try {
      retryable = settings.shouldRetry(error);
    } catch (thrown) {
      subscriber.error(thrown);
      return;
    }
    if (!retryable) {
      subscriber.error(error);
      return;
    }
    const now = settings.scheduler.now();
    this.#outageStart ??= now;
    const elapsed = now - this.#outageStart;
    if (this.#attempt + 1 > settings.maxAttempts || elapsed > settings.maxElapsed) {
      subscriber.error(new RetryExhaustedError(this.#attempt, elapsed, error));
      return;
    }
    const attempt = ++this.#attempt;
    const delay = (this.#previousDelay = backoffDelay(attempt, { ...settings, previousDelay: this.#previousDelay }));
    try {
      settings.onRetry?.({ attempt, delay, cause: error });
    } catch (thrown) {
      subscriber.error(thrown);
      return;
    }
    subscriber.next({ type: 'reconnecting', attempt, delay, cause: error });
    // The consumer may have unsubscribed on that event: no timer may outlive the teardown.
    if (subscriber.closed) return;
    this.#delayTimer = settings.scheduler.schedule(() => {
      this.#delayTimer = undefined;
      this.subscribe();
    }, delay);
  }

  complete(): void {
    this.stopResetTimer();
    this.#subscriber.complete();
  }

  // Its own method: a closure in next() would cost a context allocation per event.
  private readyNow(): void {
    const { resetAfter, scheduler } = this.#settings;
    if (resetAfter === Infinity) return;
    this.#resetTimer = scheduler.schedule(() => {
      this.#resetTimer = undefined;
      this.#attempt = 0;
      this.#outageStart = undefined;
      this.#previousDelay = this.#settings.initialDelay;
    }, resetAfter);
  }

  private stopResetTimer(): void {
    this.#resetTimer?.unsubscribe();
    this.#resetTimer = undefined;
  }
}

/** One subscription to the source, passing everything to the retrier (no wrapper per attempt). */
class Attempt extends LayerSubscriber<SocketEvent, SocketEvent> {
  protected override handle(event: SocketEvent): void {
    this.subscriber.next(event);
  }
}
