import { MAX_TIMER_MS } from '../timer-limit.js';

/** An outbound rate limit: at most `messages` app frames in any window of `perMs` milliseconds. */
export interface RateLimit {
  /** Frames allowed per window; a positive integer. */
  readonly messages: number;
  /** Length of the sliding window in ms: above 0 and at most 2147483647 (the longest timer a runtime keeps). */
  readonly perMs: number;
}

/** Validates a {@link RateLimit} option, naming it in the TypeError. */
export function assertRateLimit(limit: unknown, option: string): asserts limit is RateLimit {
  const { messages, perMs } = (limit ?? {}) as Partial<RateLimit>;
  if (typeof limit !== 'object' || limit === null) throw new TypeError(`${option} must be { messages, perMs }`);
  if (!(Number.isInteger(messages) && messages! > 0)) {
    throw new TypeError(`${option}.messages must be a positive integer, got ${String(messages)}`);
  }
  // A longer window would need a timer that fires at once, so the limit would not hold.
  if (!(typeof perMs === 'number' && perMs > 0 && perMs <= MAX_TIMER_MS)) {
    throw new TypeError(`${option}.perMs must be a number of ms above 0 and at most ${MAX_TIMER_MS}, got ${String(perMs)}`);
  }
}

/**
 * A sliding-window log: remembers the times of the last `messages` writes and says how long the
 * next write must wait. Pure: the caller passes the clock's `now`, so it runs in virtual time.
 *
 * @example
 * const window = new SlidingWindow({ messages: 2, perMs: 1000 });
 * window.record(0); window.record(10);
 * window.wait(500); // 500: the write at 0 leaves the window at 1000
 */
export class SlidingWindow {
  private readonly writes: number[] = [];

  constructor(private readonly limit: RateLimit) {}

  /** Milliseconds until one more write fits in the window; 0 when it fits now. */
  wait(now: number): number {
    if (this.writes.length < this.limit.messages) return 0;
    return Math.max(0, this.writes[0]! + this.limit.perMs - now);
  }

  /** Records a write at `now`. */
  record(now: number): void {
    this.writes.push(now);
    if (this.writes.length > this.limit.messages) this.writes.shift();
  }
}
