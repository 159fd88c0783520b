/**
 * Backoff arithmetic, kept apart from the operator so it can be tested (and reused) without time.
 * Pure: no rxjs, no clock; randomness comes in through `random`.
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
import { MAX_TIMER_MS } from './timer-limit.js';

/**
 * How the delay is spread so that many clients dropped at once do not reconnect in lockstep:
 * - `'none'`: the exponential delay itself (`cap`);
 * - `'full'`: uniform in `[0, cap]`;
 * - `'equal'`: uniform in `[cap / 2, cap]`;
 * - `'decorrelated'`: uniform in `[initialDelay, previousDelay * 3]`, capped at `maxDelay`.
 */
export type Jitter = 'full' | 'equal' | 'decorrelated' | 'none';

export { MAX_TIMER_MS };

/** Every {@link Jitter}, for validation and documentation. */
export const JITTERS: readonly Jitter[] = ['full', 'equal', 'decorrelated', 'none'];

/** Whether `value` names a {@link Jitter}. */
export function isJitter(value: unknown): value is Jitter {
  return (JITTERS as readonly unknown[]).includes(value);
}

/** Inputs of {@link backoffDelay}. All times in milliseconds. */
export interface BackoffOptions {
  /** Delay of the first attempt (before jitter), and the floor of `'decorrelated'`. */
  readonly initialDelay: number;
  /** Growth factor per attempt (ignored by `'decorrelated'`, which grows by up to 3x). */
  readonly multiplier: number;
  /** No delay is ever longer; above {@link MAX_TIMER_MS} (Infinity included) it counts as that. */
  readonly maxDelay: number;
  /** How the delay is randomised. */
  readonly jitter: Jitter;
  /** Uniform in `[0, 1)`, like `Math.random`. Values outside `[0, 1]` (or NaN) are clamped. */
  readonly random: () => number;
  /**
   * The delay returned for the previous attempt; only `'decorrelated'` uses it.
   * @default initialDelay
   */
  readonly previousDelay?: number;
}

/**
 * The delay, in whole milliseconds, before reconnect attempt `attempt` (1-based).
 * `cap = min(maxDelay, initialDelay * multiplier ** (attempt - 1))`, then the jitter applies.
 * Never NaN, Infinity or above {@link MAX_TIMER_MS} (a delay a timer can keep), whatever
 * `maxDelay` and however large `attempt` gets.
 *
 * @example
 * const options = { initialDelay: 1000, multiplier: 2, maxDelay: 30_000, jitter: 'none', random: Math.random } as const;
 * [1, 2, 3, 10].map((attempt) => backoffDelay(attempt, options));
 * // [1000, 2000, 4000, 30000]
 * backoffDelay(3, { ...options, jitter: 'full', random: () => 0.5 });
 * // 2000
 * @see retryWithBackoff
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { initialDelay, multiplier, jitter, random } = options;
  // `!(a <= b)` so that a NaN maxDelay falls back to the limit too.
  const maxDelay = !(options.maxDelay <= MAX_TIMER_MS) ? MAX_TIMER_MS : options.maxDelay;
  const drawn = random();
  const r = drawn > 0 ? Math.min(drawn, 1) : 0; // clamped into [0, 1]; NaN counts as 0
  if (jitter === 'decorrelated') {
    // Clamp first: an unbounded previous delay times a zero random would be NaN.
    const previous = Math.min(options.previousDelay ?? initialDelay, maxDelay);
    return Math.round(Math.min(maxDelay, initialDelay + r * Math.max(0, previous * 3 - initialDelay)));
  }
  // min(maxDelay, initialDelay * multiplier ** (attempt - 1)); the power may be Infinity, and a
  // zero initialDelay is 0 (not 0 * Infinity).
  const raw = initialDelay && initialDelay * multiplier ** Math.max(0, attempt - 1);
  const cap = raw < maxDelay ? raw : maxDelay;
  return Math.round(jitter === 'none' ? cap : jitter === 'full' ? r * cap : cap / 2 + (r * cap) / 2);
}
