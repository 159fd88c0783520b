import fc from 'fast-check';
import * as t from 'io-ts';
import { DecodeError, SocketPipelineError } from '../../lib/errors.js';

/** Inbound app messages of the fuzzed pipelines. */
export const Msg = t.type({ type: t.literal('message'), id: t.number, text: t.string });
export type Msg = t.TypeOf<typeof Msg>;
export const AuthOk = t.type({ type: t.literal('auth_ok') });
export const AuthExpired = t.type({ type: t.literal('auth_expired') });
export const Pong = t.type({ type: t.literal('pong') });

/** The frame size limit of the fuzzed pipelines (`maxFrameBytes`). */
export const MAX_FRAME = 64 * 1024;

/** Frames that try to reach `Object.prototype` through a parsed key. */
export const PROTOTYPE_FRAMES = [
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"type":"message","id":1,"text":"x","__proto__":{"polluted":true}}',
  '{"type":"message","id":2,"text":"y","constructor":{"prototype":{"polluted":true}}}',
  '[{"__proto__":{"polluted":true}}]',
  '{"__proto__":null,"type":"message","id":3,"text":"z"}',
];

/** One inbound frame: text (a string) or binary. */
export type HostileFrame = string | Uint8Array | ArrayBuffer;

const validMessage = fc.record({ type: fc.constant('message'), id: fc.integer(), text: fc.string({ maxLength: 20 }) });

/**
 * Every kind of frame a hostile or broken server can send: random code units (lone surrogates
 * included), random bytes read as UTF-8, broken JSON, valid JSON of any shape, near misses of the
 * message shape, deeply nested JSON, frames over the size limit, binary frames, prototype keys,
 * and some valid messages among them.
 */
export const hostileFrame: fc.Arbitrary<HostileFrame> = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => new TextDecoder().decode(bytes)),
    fc.json({ maxDepth: 3 }).map((json) => `${json.slice(0, Math.max(0, json.length - 1))}{`),
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
    fc
      .record(
        {
          type: fc.constantFrom('message', 'MESSAGE', 1),
          id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          text: fc.oneof(fc.string(), fc.integer()),
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.integer({ min: 1, max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
    fc.integer({ min: 1, max: 5_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
    fc
      .integer({ min: MAX_FRAME - 40, max: MAX_FRAME * 2 })
      .map((length) => JSON.stringify({ type: 'message', id: 1, text: 'x'.repeat(length) })),
    fc.constantFrom(...PROTOTYPE_FRAMES),
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => bytes.slice().buffer),
    validMessage.map((value) => JSON.stringify(value)),
  )
  .filter((frame) => !isProtocolFrame(frame));

/** Frames the operators consume (ack, expiry notice, pong); the fuzz keeps them out of the noise. */
export function isProtocolFrame(frame: HostileFrame): boolean {
  if (typeof frame !== 'string') return false;
  try {
    const value: unknown = JSON.parse(frame);
    return AuthOk.is(value) || AuthExpired.is(value) || Pong.is(value);
  } catch {
    return false;
  }
}

/** What the pipeline must make of a frame: a message, or a `DecodeError` of this kind. */
export function expectedOutcome(frame: HostileFrame): 'message' | DecodeError['kind'] {
  if (typeof frame !== 'string') return 'binary';
  if (frame.length > MAX_FRAME) return 'too-large';
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return 'json';
  }
  return Msg.is(value) ? 'message' : 'schema';
}

/** What a rejected frame must look like: typed, serialisable, short, and with a bounded preview. */
export function assertWellFormedDecodeError(error: unknown): void {
  if (!(error instanceof DecodeError) || !(error instanceof SocketPipelineError)) throw new Error(`not a DecodeError: ${String(error)}`);
  if (error.code !== 'DECODE_ERROR' || error.name !== 'DecodeError') throw new Error('wrong name or code');
  if (error.preview.length > 200) throw new Error(`preview of ${error.preview.length} characters`);
  if (error.message.length > 600) throw new Error(`message of ${error.message.length} characters`);
  JSON.stringify(error); // must not throw
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join();

/** Throws if any frame reached `Object.prototype`. */
export function assertPrototypeIntact(): void {
  if (Object.getOwnPropertyNames(Object.prototype).sort().join() !== PROTOTYPE_NAMES) throw new Error('Object.prototype gained a key');
  if (({} as { polluted?: unknown }).polluted !== undefined) throw new Error('Object.prototype.polluted is set');
}

/** Throws unless a decoded message is a plain object with the ordinary prototype. */
export function assertPlainMessage(message: unknown): void {
  if (Object.getPrototypeOf(message) !== Object.prototype) throw new Error('a decoded message has a foreign prototype');
  if ((message as { polluted?: unknown }).polluted !== undefined) throw new Error('a decoded message inherits a polluted key');
}
