import * as t from 'io-ts';
import { clipText } from './clip-text.js';
import { DecodeError } from './errors.js';

/** Result of decoding one value with a codec. */
export type Decoded<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: DecodeError };

/** A type guard that never says yes when the codec's `is` would say no (it may say no more often). */
export type Guard = (value: unknown) => boolean;

/**
 * Builds a fast decoder for a codec. For codecs whose output equals their input (`encode` is the
 * identity: plain `t.type`, `t.union` of those, refinements...), a successful guard proves that
 * `decode` would return the same value, so the common path skips `decode`'s allocations.
 */
export function decoderFor<A>(
  codec: t.Decoder<unknown, A> & { is?: t.Is<unknown>; encode?: unknown },
): (value: unknown, preview: () => string, size: number) => Decoded<A> {
  const accepts = fastPathFor(codec);
  return (value, preview, size) => {
    if (accepts !== undefined && accepts(value)) return { ok: true, value: value as A };
    return decodeSlowly(codec, value, preview, size);
  };
}

/**
 * The guard that lets a valid value through unchanged, or `undefined` when the codec transforms
 * what it decodes (its `encode` is not the identity) and every value must go through `decode`.
 * The guard never throws: where the codec's own code throws (a refinement predicate with a bug,
 * a hand-written recursive `is` on a deeply nested value), it says no, and `decode` has the last word.
 */
export function fastPathFor(codec: { is?: t.Is<unknown>; encode?: unknown }): Guard | undefined {
  if (codec.encode !== t.identity || typeof codec.is !== 'function') return undefined;
  let guard = compiled.get(codec);
  if (guard === undefined) {
    // Where code generation is forbidden, io-ts's own `is` (slower: shared generic combinators).
    guard = generateGuard(codec as KnownCodec) ?? isThatNeverThrows(codec.is);
    compiled.set(codec, guard);
  }
  return guard;
}

function isThatNeverThrows(is: t.Is<unknown>): Guard {
  return (value) => {
    try {
      return is(value);
    } catch {
      return false;
    }
  };
}

/** One guard per codec, however many sessions decode with it. */
const compiled = new WeakMap<object, Guard>();

/**
 * `decode`, with its failure turned into a typed {@link DecodeError}. Never throws: a codec that
 * throws (a predicate with a bug, or a stack overflow in a recursive codec on a deeply nested
 * frame) is a rejected frame too, with one issue naming what it threw.
 */
export function decodeSlowly<A>(codec: t.Decoder<unknown, A>, value: unknown, preview: () => string, size: number): Decoded<A> {
  let result: t.Validation<A>;
  try {
    result = codec.decode(value);
  } catch (thrown) {
    return { ok: false, error: new DecodeError('schema', [describeThrow(thrown)], previewSafely(preview), size) };
  }
  if (result._tag === 'Right') return { ok: true, value: result.right };
  return { ok: false, error: new DecodeError('schema', result.left.map(describeIssue), previewSafely(preview), size) };
}

// A preview built from a value (JSON.stringify of a deeply nested or cyclic one) may throw: a
// rejected frame must still become a DecodeError, never an exception.
function previewSafely(preview: () => string): string {
  try {
    return preview();
  } catch {
    return '(no preview: the value cannot be serialized)';
  }
}

/** Longest part of a codec's own error message that reaches an issue. */
const THROWN_MESSAGE_LENGTH = 120;

/**
 * The issue of a codec that threw: the error's name and the first line of its message, clipped
 * (a codec may put the value it was given in its message). Reading a hostile thrown object may
 * throw again: that is reported too, never rethrown.
 */
export function describeThrow(thrown: unknown): string {
  let what: string;
  try {
    if (thrown instanceof Error) {
      const message = String(thrown.message).split('\n', 1)[0]!;
      const clipped = clipText(message, THROWN_MESSAGE_LENGTH);
      what = clipped ? `${String(thrown.name)}: ${clipped}` : String(thrown.name);
    } else {
      what = summarize(thrown);
    }
  } catch {
    what = 'an error that cannot be read';
  }
  return `at (root): the codec threw ${what}`;
}

/** One line per failed field: where, what was expected, what came (secrets-safe summary). */
export function describeIssue(error: t.ValidationError): string {
  // Record keys come from the frame: a long one (it may be a token) is named by its length only.
  const path = clipText(
    error.context
      .map((entry) => entry.key)
      .filter((key) => key !== '')
      .map((key) => (key.length <= PATH_KEY_LENGTH ? key : `<a key of ${key.length} characters>`))
      .join('.'),
    PATH_LENGTH,
  );
  const expected = error.context[error.context.length - 1]?.type.name ?? 'unknown';
  return `at ${path ? `.${path}` : '(root)'}: expected ${expected}, got ${summarize(error.value)}`;
}

const PATH_KEY_LENGTH = 24;
const PATH_LENGTH = 160;

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

/** The io-ts codec classes the guard compiler knows, by their `_tag`, with the fields it reads. */
type KnownCodec = t.Mixed & {
  readonly _tag?: string;
  readonly props?: Record<string, t.Mixed>;
  readonly type?: t.Mixed;
  readonly types?: readonly t.Mixed[];
  readonly value?: unknown;
  readonly predicate?: (value: unknown) => boolean;
};

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Generates the guard's source: one function per object, array or union node, with field names as
 * literals, so every property read is a monomorphic named load (io-ts's `is` goes through one shared
 * generic loop for every field of every codec, which costs a fifth of the JSON parse of a ~300-byte
 * frame). Only field names (as JSON string literals) and the codec's structure reach the source;
 * predicates, odd literals and unknown codecs are passed in, never printed. `undefined` where
 * `new Function` is forbidden (a Content-Security-Policy without 'unsafe-eval').
 *
 * The generated functions nest as deep as the codec, not as deep as the value: only an external
 * `is` (an unknown codec, such as a `t.recursion`) can recurse with the value's depth. io-ts's
 * recursive codecs never get here anyway, since their `encode` is not the identity.
 */
function generateGuard(root: KnownCodec): Guard | undefined {
  const functions: string[] = [];
  const externals: unknown[] = [];
  const external = (value: unknown) => `e[${externals.push(value) - 1}]`;
  const isRecordSource = (v: string) => `(${v} !== null && typeof ${v} === 'object' && !Array.isArray(${v}))`;

  const names = new Map<KnownCodec, string>();

  /**
   * Emits a function `g<n>(v)` for `codec` and returns its name; once per codec, so a codec object
   * that contains itself compiles to a recursive function instead of recursing here forever.
   */
  const emit = (codec: KnownCodec): string => {
    const known = names.get(codec);
    if (known !== undefined) return known;
    const name = `g${functions.length}`;
    names.set(codec, name);
    functions.push('');
    functions[Number(name.slice(1))] = `function ${name}(v) { return ${body(codec)}; }`;
    return name;
  };
  /** The check of a node against the value in `v` (an identifier or a property read). */
  const check = (codec: KnownCodec, v: string): string => {
    switch (codec._tag) {
      case 'StringType':
        return `typeof ${v} === 'string'`;
      case 'NumberType':
        return `typeof ${v} === 'number'`;
      case 'BooleanType':
        return `typeof ${v} === 'boolean'`;
      case 'NullType':
        return `${v} === null`;
      case 'UndefinedType':
      case 'VoidType':
        return `${v} === undefined`;
      case 'UnknownType':
      case 'AnyType':
        return 'true';
      case 'LiteralType':
        return typeof codec.value === 'string' || typeof codec.value === 'boolean'
          ? `${v} === ${JSON.stringify(codec.value)}`
          : `${v} === ${external(codec.value)}`;
      case 'ExactType':
      case 'ReadonlyType':
        return check(codec.type as KnownCodec, v);
      default:
        return `${emit(codec)}(${v})`;
    }
  };
  /** The body of a function node, checking its argument `v`. */
  const body = (codec: KnownCodec): string => {
    switch (codec._tag) {
      case 'AnyDictionaryType':
        return isRecordSource('v');
      case 'AnyArrayType':
        return 'Array.isArray(v)';
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return `Array.isArray(v) && v.every(${emit(codec.type as KnownCodec)})`;
      case 'InterfaceType': {
        const fields = Object.entries(codec.props!).map(([key, field]) => {
          const read = `v[${JSON.stringify(key)}]`;
          // A missing field is absent, not undefined: only matters for a field that accepts undefined.
          return `(${read} !== undefined || h.call(v, ${JSON.stringify(key)})) && ${check(field as KnownCodec, read)}`;
        });
        return [isRecordSource('v'), ...fields].join(' && ');
      }
      case 'PartialType': {
        const fields = Object.entries(codec.props!).map(([key, field]) => {
          const read = `v[${JSON.stringify(key)}]`;
          return `(${read} === undefined || ${check(field as KnownCodec, read)})`;
        });
        return [isRecordSource('v'), ...fields].join(' && ');
      }
      case 'RefinementType':
        return `${check(codec.type as KnownCodec, 'v')} && ${external(codec.predicate)}(v)`;
      case 'UnionType':
        return codec.types!.map((member) => `(${check(member as KnownCodec, 'v')})`).join(' || ') || 'false';
      case 'IntersectionType':
        return codec.types!.map((member) => `(${check(member as KnownCodec, 'v')})`).join(' && ') || 'true';
      default: {
        const codecRef = external(codec);
        return `${codecRef}.is(v)`;
      }
    }
  };

  try {
    const entry = emit(root);
    // One try around the whole check (free on the valid path in V8): an external predicate or `is`
    // that throws, or a stack overflow in one on a deeply nested value, means "no", never a crash.
    const guard = `function guard(v) { try { return ${entry}(v); } catch { return false; } }`;
    const build = new Function('e', 'h', `'use strict';\n${functions.join('\n')}\n${guard}\nreturn guard;`) as (
      externals: unknown[],
      hasOwnProperty: typeof hasOwn,
    ) => Guard;
    return build(externals, hasOwn);
  } catch {
    // Code generation forbidden, or a codec structure we cannot read: io-ts's own `is` instead.
    return undefined;
  }
}
