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
  return (value, preview, size) => (accepts?.(value) ? { ok: true, value: value as A } : decodeSlowly(codec, value, preview, size));
}

/**
 * The guard that lets a valid value through unchanged, or `undefined` when the codec transforms
 * what it decodes (its `encode` is not the identity) and every value must go through `decode`.
 * The guard never throws: where the codec's own code throws (a refinement predicate with a bug,
 * a hand-written recursive `is` on a deeply nested value), it says no, and `decode` has the last word.
 */
export function fastPathFor(codec: { is?: t.Is<unknown>; encode?: unknown }): Guard | undefined {
  const { is } = codec;
  if (codec.encode !== t.identity || typeof is !== 'function') return undefined;
  let guard = compiled.get(codec);
  if (!guard) {
    // Where code generation is forbidden, io-ts's own `is` (slower: shared generic combinators).
    guard =
      generateGuard(codec as KnownCodec) ??
      ((value) => {
        try {
          return is(value);
        } catch {
          return false;
        }
      });
    compiled.set(codec, guard);
  }
  return guard;
}

/** One guard per codec, however many sessions decode with it. */
const compiled = new WeakMap<object, Guard>();

/**
 * `decode`, with its failure turned into a typed {@link DecodeError}. Never throws: a codec that
 * throws (a predicate with a bug, or a stack overflow in a recursive codec on a deeply nested
 * frame) is a rejected frame too, with one issue naming what it threw.
 */
export function decodeSlowly<A>(codec: t.Decoder<unknown, A>, value: unknown, preview: () => string, size: number): Decoded<A> {
  let issues: string[];
  try {
    const result = codec.decode(value);
    if (result._tag === 'Right') return { ok: true, value: result.right };
    issues = result.left.map(describeIssue);
  } catch (thrown) {
    issues = [describeThrow(thrown)];
  }
  let shown: string;
  // A preview built from a value (JSON.stringify of a deeply nested or cyclic one) may throw: a
  // rejected frame must still become a DecodeError, never an exception.
  try {
    shown = preview();
  } catch {
    shown = '(no preview: the value cannot be serialized)';
  }
  return { ok: false, error: new DecodeError('schema', issues, shown, size) };
}

/** Longest part of a codec's own error message that reaches an issue. */
const THROWN_MESSAGE_LENGTH = 120;
/** Longest record key named in a path; a longer one (it may be a token) is named by its length. */
const PATH_KEY_LENGTH = 24;
/** Longest path in an issue. */
const PATH_LENGTH = 160;

/**
 * The issue of a codec that threw: the error's name and the first line of its message, clipped
 * (a codec may put the value it was given in its message). Reading a hostile
 * thrown object may throw again: that is reported too, never rethrown.
 */
export function describeThrow(thrown: unknown): string {
  let what: string;
  try {
    if (thrown instanceof Error) {
      const message = clipText(String(thrown.message).split('\n', 1)[0]!, THROWN_MESSAGE_LENGTH);
      const name = String(thrown.name);
      what = message ? `${name}: ${message}` : name;
    } else {
      what = summarize(thrown);
    }
  } catch {
    what = 'an error that cannot be read';
  }
  return `at (root): the codec threw ${what}`;
}

/** One line per failed field: where, what was expected, what came (secrets-safe summary). */
export function describeIssue({ context, value }: t.ValidationError): string {
  // Record keys come from the frame: a long one (it may be a token) is named by its length only.
  const path = clipText(
    context
      .map(({ key }) => key)
      .filter((key) => key !== '')
      .map((key) => (key.length > PATH_KEY_LENGTH ? `<a key of ${key.length} characters>` : key))
      .join('.'),
    PATH_LENGTH,
  );
  return `at ${path ? `.${path}` : '(root)'}: expected ${context.at(-1)?.type.name ?? 'unknown'}, got ${summarize(value)}`;
}

/**
 * A short description of a value that never reproduces a long string: a token in a frame must not
 * end up in an error message or a log.
 */
function summarize(value: unknown): string {
  if (typeof value === 'string') return value.length > 16 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (value == null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? `an array of ${value.length}` : `an ${typeof value}`;
}

/** The io-ts codec classes the guard compiler knows, by their `_tag`, with the fields it reads. */
type KnownCodec = t.Mixed & {
  readonly _tag?: string;
  readonly props?: Record<string, KnownCodec>;
  readonly type?: KnownCodec;
  readonly types?: readonly KnownCodec[];
  readonly value?: unknown;
  readonly predicate?: (value: unknown) => boolean;
};

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
  const names = new Map<KnownCodec, string>();
  const external = (value: unknown) => `e[${externals.push(value) - 1}]`;
  const isRecord = "v!==null&&typeof v==='object'&&!Array.isArray(v)";

  /**
   * Emits a function `g<n>(v)` for `codec` and returns its name; once per codec, so a codec object
   * that contains itself compiles to a recursive function instead of recursing here forever.
   */
  const emit = (codec: KnownCodec): string => {
    let name = names.get(codec);
    if (name === undefined) {
      const index = functions.push('') - 1;
      names.set(codec, (name = `g${index}`));
      functions[index] = `function ${name}(v){return ${body(codec)}}`;
    }
    return name;
  };
  /** The check of a node against the value in `v` (an identifier or a property read): one operand of `&&` or `||`. */
  const check = (codec: KnownCodec, v: string): string => {
    const tag = codec._tag;
    switch (tag) {
      case 'StringType':
      case 'NumberType':
      case 'BooleanType':
        return `typeof ${v}==='${tag.slice(0, -4).toLowerCase()}'`;
      case 'NullType':
        return `${v}===null`;
      case 'UndefinedType':
      case 'VoidType':
        return `${v}===void 0`;
      case 'UnknownType':
      case 'AnyType':
        return 'true';
      case 'LiteralType': {
        const { value } = codec;
        return `${v}===${typeof value === 'string' || typeof value === 'boolean' ? JSON.stringify(value) : external(value)}`;
      }
      case 'ExactType':
      case 'ReadonlyType':
        return check(codec.type!, v);
    }
    return `${emit(codec)}(${v})`;
  };
  /** The body of a function node, checking its argument `v`. */
  const body = (codec: KnownCodec): string => {
    const tag = codec._tag;
    switch (tag) {
      case 'AnyDictionaryType':
        return isRecord;
      case 'AnyArrayType':
        return 'Array.isArray(v)';
      case 'ArrayType':
      case 'ReadonlyArrayType':
        return `Array.isArray(v)&&v.every(${emit(codec.type!)})`;
      case 'InterfaceType':
      case 'PartialType':
        return [
          isRecord,
          ...Object.entries(codec.props!).map(([key, field]) => {
            const literal = JSON.stringify(key);
            const read = `v[${literal}]`;
            // A missing field is absent, not undefined: only matters for a field that accepts undefined.
            return tag === 'PartialType'
              ? `(${read}===void 0||${check(field, read)})`
              : `(${read}!==void 0||h.call(v,${literal}))&&${check(field, read)}`;
          }),
        ].join('&&');
      case 'RefinementType':
        return `${check(codec.type!, 'v')}&&${external(codec.predicate)}(v)`;
      case 'UnionType':
        return codec.types!.map((member) => check(member, 'v')).join('||') || 'false';
      case 'IntersectionType':
        return codec.types!.map((member) => check(member, 'v')).join('&&') || 'true';
    }
    return `${external(codec)}.is(v)`;
  };

  try {
    const entry = emit(root);
    // One try around the whole check (free on the valid path in V8): an external predicate or `is`
    // that throws, or a stack overflow in one on a deeply nested value, means "no", never a crash.
    return new Function('e', 'h', `'use strict';${functions.join('')}return function guard(v){try{return ${entry}(v)}catch{return false}}`)(
      externals,
      Object.prototype.hasOwnProperty,
    ) as Guard;
  } catch {
    // Code generation forbidden, or a codec structure we cannot read: io-ts's own `is` instead.
    return undefined;
  }
}
