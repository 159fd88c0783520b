import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { checkDuration } from '../check-option.js';
import { socketLayer, SocketLayer } from '../socket-layer.js';
import { ConnectTimeoutError } from '../errors.js';
import type { SocketEvent } from '../socket-event.js';

/** Configuration of {@link waitForOpen}. */
export interface WaitForOpenConfig {
  /**
   * Milliseconds the socket may take to open, at most 2147483647 (the longest timer a runtime
   * keeps); 0 or `Infinity` waits forever.
   * @default 10000
   */
  timeout?: number;
  /**
   * Scheduler for the deadline.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Lets nothing but the `connecting` lifecycle event through until the socket is OPEN, and ends the
 * stream with `ConnectTimeoutError` (closing the socket) when it takes longer than `timeout`.
 * App frames sent before open are held by the connection, never written to a CONNECTING socket.
 *
 * @example
 * fromWebSocket('ws://10.255.255.1', { WebSocketCtor: WebSocket }).pipe(waitForOpen(2_000))
 *   .subscribe({ error: (error) => console.log(error.name) });
 * // ConnectTimeoutError
 * @see fromWebSocket
 */
export function waitForOpen(config: number | WaitForOpenConfig = {}): MonoTypeOperatorFunction<SocketEvent> {
  const { timeout = 10_000, scheduler = asyncScheduler } = typeof config === 'number' ? { timeout: config } : (config ?? {});
  // Longer timers fire at once in browsers and Node, so such a value would fail every connect.
  checkDuration(timeout, 'waitForOpen', 'timeout', { zero: 'no deadline', infinity: 'no deadline' });
  return socketLayer(OpenGate, { timeout: timeout === Infinity ? 0 : timeout, scheduler });
}

/** The validated options, shared by the subscriptions of one `waitForOpen()`; `timeout` 0: none. */
interface OpenSettings {
  readonly timeout: number;
  readonly scheduler: SchedulerLike;
}

/** One subscription's state (see {@link SocketLayer}). */
class OpenGate extends SocketLayer {
  #opened = false;
  #deadline: Subscription | undefined;
  readonly #settings: OpenSettings;

  constructor(subscriber: Subscriber<SocketEvent>, settings: OpenSettings) {
    super(subscriber);
    this.#settings = settings;
  }

  protected override handle(event: SocketEvent): void {
    if (event.type === 'connecting') {
      // Block-scoped, so the deadline's closure costs a context here only, not on every event.
      const { subscriber } = this;
      const { timeout, scheduler } = this.#settings;
      this.#opened = false;
      this.#deadline?.unsubscribe();
      if (timeout > 0) this.#deadline = scheduler.schedule(() => subscriber.error(new ConnectTimeoutError(timeout)), timeout);
    } else if (event.type === 'open') {
      this.#opened = true;
      this.stop(); // the deadline is met
    }
    if (this.#opened || event.type === 'connecting' || event.type === 'reconnecting') this.subscriber.next(event);
  }

  override stop(): void {
    this.#deadline?.unsubscribe();
    this.#deadline = undefined;
  }
}
