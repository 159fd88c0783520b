/**
 * Option validation shared by the factories: one place builds the `TypeError` text, so each check
 * costs only its own words in a browser bundle.
 */
import { MAX_TIMER_MS } from './timer-limit.js';

/**
 * Throws `TypeError("<owner>: <problem>")` unless `ok`. Internal helper.
 *
 * @example
 * checkOption(typeof serialize === 'function', 'fromWebSocket', 'serialize must be a function');
 */
export function checkOption(ok: boolean, owner: string, problem: string): asserts ok {
  if (!ok) throw new TypeError(`${owner}: ${problem}`);
}

/** Which durations a timing option takes, besides 1 to {@link MAX_TIMER_MS} ms. */
export interface DurationRule {
  /** What 0 means for this option ("off", "no pings"); absent: 0 is refused. */
  readonly zero?: string;
  /** What `Infinity` means ("never"); absent: `Infinity` is refused. */
  readonly infinity?: string;
}

/**
 * Throws `TypeError("<owner>: <option> must be a number of ms ... got <value>")` unless `value` is a
 * duration a timer can keep (longer ones fire at once in browsers and Node, so a "keep for a month"
 * value would act immediately instead). Internal helper.
 *
 * @example
 * checkDuration(interval, 'heartbeat', 'interval', { zero: 'no pings' });
 * // TypeError: heartbeat: interval must be a number of ms above 0 and at most 2147483647, or 0 (no pings), got -5
 */
export function checkDuration(
  value: unknown,
  owner: string,
  option: string,
  { zero, infinity }: DurationRule = {},
): asserts value is number {
  if (typeof value === 'number' && ((value > 0 && value <= MAX_TIMER_MS) || (value === 0 && zero) || (value === Infinity && infinity)))
    return;
  const also = zero ? `0 (${zero})${infinity ? ` or Infinity (${infinity})` : ''}` : infinity && `Infinity (${infinity})`;
  throw new TypeError(
    `${owner}: ${option} must be a number of ms above 0 and at most ${MAX_TIMER_MS}${also ? `, or ${also}` : ''}, got ${String(value)}`,
  );
}
