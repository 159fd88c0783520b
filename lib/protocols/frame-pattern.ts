import type { FrameMatcher } from '../frame-matcher.js';

/**
 * A frame described by example: a plain object whose every field must be present in the frame
 * with an equal value (nested objects are matched the same way, field by field; arrays and
 * primitives must be equal). Extra fields of the frame are ignored.
 * `{ action: 'auth', status: 'success' }` matches `{"action":"auth","status":"success","user":"x"}`.
 *
 * @example
 * const ack: FramePattern = { action: 'auth', status: 'success' };
 * genericJson({ token: getToken, authFrame: { action: 'auth' }, ack });
 */
export type FramePattern = { readonly [field: string]: unknown };

/**
 * What a preset option accepts to recognise a frame: a {@link FramePattern} (plain configuration,
 * fine for a CLI), an io-ts codec, or a predicate over the parsed frame.
 *
 * @example
 * genericJson({ token: getToken, ack: { type: 'auth_ok' } }); // a pattern
 * genericJson({ token: getToken, ack: t.type({ type: t.literal('auth_ok'), sessionId: t.string }) }); // a codec
 * genericJson({ token: getToken, ack: (frame) => (frame as { ok?: unknown }).ok === true }); // a predicate
 */
export type FrameSpec = FramePattern | FrameMatcher;

/**
 * Turns a pattern into a predicate over parsed frames.
 *
 * @example
 * const isAck = matchesPattern({ action: 'auth', status: 'success' });
 * isAck({ action: 'auth', status: 'success', user: 'u1' }); // true
 * isAck({ action: 'auth', status: 'expired' });             // false
 * @see toFrameMatcher
 */
export function matchesPattern(pattern: FramePattern): (value: unknown) => boolean {
  return (value) => matches(pattern, value);
}

/**
 * Normalises a {@link FrameSpec} into the {@link FrameMatcher} the session takes: codecs and
 * predicates pass through, patterns become predicates.
 *
 * @example
 * const ack = toFrameMatcher({ type: 'auth_ok' }); // a pattern from a config file, say
 * connect({ url, inbound: Quote, token: getToken, auth: { message: (token) => ({ type: 'auth', token }), ack } });
 * @see matchesPattern
 */
export function toFrameMatcher(spec: FrameSpec, option = 'frame spec'): FrameMatcher {
  if (typeof spec === 'function') return spec;
  if (typeof spec === 'object' && spec !== null) {
    if (typeof (spec as { is?: unknown }).is === 'function') return spec as FrameMatcher;
    return matchesPattern(spec as FramePattern);
  }
  throw new TypeError(`${option} must be a frame pattern (plain object), an io-ts codec or a predicate`);
}

function matches(pattern: unknown, value: unknown): boolean {
  if (pattern === value) return true;
  if (Array.isArray(pattern)) {
    return Array.isArray(value) && value.length === pattern.length && pattern.every((item, index) => matches(item, value[index]));
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return Object.entries(pattern).every(([field, expected]) => Object.hasOwn(record, field) && matches(expected, record[field]));
}
