import { NOT_JSON, type InboundFrame } from './inbound-frame.js';

/**
 * How an operator recognises a frame (an ack, a pong, an expiry notice): an io-ts codec, whose
 * `is` is used (it checks without copying), or a predicate over the parsed JSON value.
 *
 * @example
 * const Pong = t.type({ type: t.literal('pong') });
 * heartbeat({ ping: () => ({ type: 'ping' }), pong: Pong }); // an io-ts codec
 * const isPong = (value: unknown) => typeof value === 'object' && value !== null && 'type' in value && value.type === 'pong';
 * heartbeat({ ping: () => ({ type: 'ping' }), pong: isPong }); // a predicate
 */
export type FrameMatcher =
  | {
      /** A type guard over the parsed JSON value, such as an io-ts codec's `is`. */
      is: (value: unknown) => boolean;
    }
  | ((value: unknown) => boolean);

/** Turns a matcher into a test on frames; non-JSON frames never match. */
export function frameTest(matcher: FrameMatcher): (frame: InboundFrame) => boolean {
  let test = tests.get(matcher);
  if (!test) {
    const matches = typeof matcher === 'function' ? matcher : (value: unknown) => matcher.is(value);
    test = (frame) => {
      const value = frame.json;
      return value !== NOT_JSON && matches(value);
    };
    tests.set(matcher, test);
  }
  return test;
}

/**
 * One test per matcher, however many sessions use it: an app builds its operators per session, and
 * each test is two closures (memory per session, see bench/RESULTS.md). `is` is still read per call.
 */
const tests = new WeakMap<FrameMatcher, (frame: InboundFrame) => boolean>();

/** The test of an absent matcher. */
export const never = (): boolean => false;

/** Validates a matcher option at operator creation, naming the option when it is unusable. */
export function assertMatcher(matcher: unknown, option: string): asserts matcher is FrameMatcher {
  const usable = typeof matcher === 'function' || typeof (matcher as { is?: unknown } | null)?.is === 'function';
  if (!usable) throw new TypeError(`${option} must be an io-ts codec or a predicate function`);
}
