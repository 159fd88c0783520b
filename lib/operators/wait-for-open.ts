import { asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { socketLayer, SocketLayer } from '../socket-layer.js';
import { ConnectTimeoutError } from '../errors.js';
import type { SocketEvent } from '../socket-event.js';
import { MAX_TIMER_MS } from '../timer-limit.js';

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
  const { timeout: requested = 10_000, scheduler = asyncScheduler } = typeof config === 'number' ? { timeout: config } : (config ?? {});
  // Longer timers fire at once in browsers and Node, so such a value would fail every connect.
  if (!((requested >= 0 && requested <= MAX_TIMER_MS) || requested === Infinity)) {
    throw new TypeError(
      `waitForOpen: timeout must be a number of ms from 0 to ${MAX_TIMER_MS} (0 or Infinity: no deadline), got ${String(requested)}`,
    );
  }
  const timeout = requested === Infinity ? 0 : requested;
  return socketLayer((subscriber) => new OpenGate(subscriber, timeout, scheduler));
}

/** One subscription's state (see {@link SocketLayer}). */
class OpenGate extends SocketLayer {
  private opened = false;
  private deadline: Subscription | undefined;

  constructor(
    subscriber: Subscriber<SocketEvent>,
    private readonly timeout: number,
    private readonly scheduler: SchedulerLike,
  ) {
    super(subscriber);
  }

  protected override handle(event: SocketEvent): void {
    if (event.type === 'connecting') {
      this.opened = false;
      this.deadline?.unsubscribe();
      if (this.timeout > 0) {
        this.deadline = this.scheduler.schedule(() => this.subscriber.error(new ConnectTimeoutError(this.timeout)), this.timeout);
      }
      this.subscriber.next(event);
      return;
    }
    if (event.type === 'open') {
      this.opened = true;
      this.stop(); // the deadline is met
    }
    if (this.opened || event.type === 'reconnecting') this.subscriber.next(event);
  }

  override stop(): void {
    this.deadline?.unsubscribe();
    this.deadline = undefined;
  }
}
