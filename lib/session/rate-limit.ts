import { checkDuration, checkOption } from '../check-option.js';

/** An outbound rate limit: at most `messages` app frames in any window of `perMs` milliseconds. */
export interface RateLimit {
  /** Frames allowed per window; a positive integer. */
  readonly messages: number;
  /** Length of the sliding window in ms: above 0 and at most 2147483647 (the longest timer a runtime keeps). */
  readonly perMs: number;
}

/** Validates `connect`'s `rateLimit` option, naming it in the TypeError. */
export function assertRateLimit(limit: unknown): asserts limit is RateLimit {
  checkOption(typeof limit === 'object' && limit !== null, 'connect', 'rateLimit must be { messages, perMs }');
  const { messages, perMs } = limit as Partial<RateLimit>;
  checkOption(
    Number.isInteger(messages) && messages! > 0,
    'connect',
    `rateLimit.messages must be a positive integer, got ${String(messages)}`,
  );
  // A longer window would need a timer that fires at once, so the limit would not hold.
  checkDuration(perMs, 'connect', 'rateLimit.perMs');
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
  readonly #writes: number[] = [];
  readonly #limit: RateLimit;

  constructor(limit: RateLimit) {
    this.#limit = limit;
  }

  /** Milliseconds until one more write fits in the window; 0 when it fits now. */
  wait(now: number): number {
    const writes = this.#writes;
    return writes.length < this.#limit.messages ? 0 : Math.max(0, writes[0]! + this.#limit.perMs - now);
  }

  /** Records a write at `now`. */
  record(now: number): void {
    const writes = this.#writes;
    writes.push(now);
    if (writes.length > this.#limit.messages) writes.shift();
  }
}
