import * as t from 'io-ts';
import { DecodeError } from './errors.js';

/** Result of decoding one value with a codec. */
export type Decoded<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: DecodeError };

/**
 * Builds a fast decoder for a codec. For codecs whose output equals their input (`encode` is the
 * identity: plain `t.type`, `t.union` of those, refinements...), a successful `is` proves that
 * `decode` would return the same value, so the common path skips `decode`'s allocations.
 */
export function decoderFor<A>(codec: t.Decoder<unknown, A> & { is?: t.Is<unknown>; encode?: unknown }): (value: unknown, preview: () => string, size: number) => Decoded<A> {
  const identity = (codec as { encode?: unknown }).encode === t.identity && typeof codec.is === 'function';
  return (value, preview, size) => {
    if (identity && codec.is!(value)) return { ok: true, value: value as A };
    const result = codec.decode(value);
    if (result._tag === 'Right') return { ok: true, value: result.right };
    return { ok: false, error: new DecodeError('schema', result.left.map(describeIssue), preview(), size) };
  };
}

/** One line per failed field: where, what was expected, what came (secrets-safe summary). */
export function describeIssue(error: t.ValidationError): string {
  const path = error.context
    .map((entry) => entry.key)
    .filter((key) => key !== '')
    .join('.');
  const expected = error.context[error.context.length - 1]?.type.name ?? 'unknown';
  return `at ${path ? `.${path}` : '(root)'}: expected ${expected}, got ${summarize(error.value)}`;
}

/**
 * A short description of a value that never reproduces a long string: a token in a frame must not
 * end up in an error message or a log.
 */
function summarize(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length <= 16 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `an ${typeof value}`;
}
