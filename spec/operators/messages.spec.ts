import type { SocketEvent } from '../../lib/socket-event.js';
import { expect } from 'chai';
import * as t from 'io-ts';
import * as fc from 'fast-check';
import { from, NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fastPathFor } from '../../lib/decode.js';
import { DecodeError } from '../../lib/errors.js';
import { messages } from '../../lib/operators/messages.js';
import { serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { scriptedSource } from '../helpers/pipeline-marbles.js';

const ChatMessage = t.type({ type: t.literal('message'), id: t.number, text: t.string });
type ChatMessage = t.TypeOf<typeof ChatMessage>;
const m1: ChatMessage = { type: 'message', id: 1, text: 'hello' };
const m2: ChatMessage = { type: 'message', id: 2, text: 'world' };
const bad = { type: 'message', id: 'x', text: 'a-very-long-secret-looking-value-0123456789' };

describe('messages', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('emits decoded, typed messages and drops lifecycle events', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-oab', { o: serverOpen(), a: serverFrame(m1), b: serverFrame(m2) }));
      expectObservable(source$.pipe(messages(ChatMessage)), '^-----!').toBe('--ab', { a: m1, b: m2 });
    });
  });

  it('reports a wrong-shape frame as a DecodeError with the io-ts path and goes on', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const reported: DecodeError[] = [];
      const { source$ } = scriptedSource(testScheduler, () => cold('-oxb', { o: serverOpen(), x: serverFrame(bad), b: serverFrame(m2) }));
      expectObservable(source$.pipe(messages(ChatMessage, { onInvalid: (e) => reported.push(e) })), '^-----!').toBe('---b', { b: m2 });
      flush();
      expect(reported).to.have.length(1);
      expect(reported[0]).to.be.instanceOf(DecodeError);
      expect(reported[0]!.kind).to.equal('schema');
      expect(reported[0]!.issues).to.deep.equal(['at .id: expected number, got "x"']);
      expect(reported[0]!.message).to.equal('a frame does not match the codec: at .id: expected number, got "x"');
    });
  });

  it('reports non-JSON, binary and oversized frames with their kind', () => {
    testScheduler.run(({ cold, flush }) => {
      const reported: DecodeError[] = [];
      const huge = JSON.stringify({ ...m1, text: 'x'.repeat(2000) });
      const { WebSocketCtor } = scriptedWebSocketFor(
        testScheduler,
        cold('-ojbh', { o: serverOpen(), j: serverFrame('{nope'), b: serverFrame(new Uint8Array([1, 2])), h: serverFrame(huge) }),
      );
      fromWebSocketForTest(WebSocketCtor, 1000)
        .pipe(messages(ChatMessage, { onInvalid: (e) => reported.push(e) }))
        .subscribe({ error: () => undefined });
      flush();
      expect(reported.map((e) => e.kind)).to.deep.equal(['json', 'binary', 'too-large']);
      expect(reported[2]!.size).to.equal(huge.length);
    });
  });

  it("ends the stream on a bad frame with invalid: 'error'", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-oax', { o: serverOpen(), a: serverFrame(m1), x: serverFrame(bad) }));
      const error = new DecodeError('schema', ['at .id: expected number, got "x"'], '', 0);
      expectObservable(source$.pipe(messages(ChatMessage, { invalid: 'error' }))).toBe('--a#', { a: m1 }, error);
    });
  });

  it('never copies a long string value into the error message', () => {
    const reported: DecodeError[] = [];
    const Strict = t.type({ id: t.number });
    testScheduler.run(({ cold, flush }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-ox', { o: serverOpen(), x: serverFrame({ id: bad.text }) }));
      source$.pipe(messages(Strict, { onInvalid: (e) => reported.push(e) })).subscribe();
      flush();
    });
    expect(reported[0]!.message).to.include('a string of 43 characters');
    expect(reported[0]!.message).not.to.include(bad.text);
  });

  it('uses decode for codecs that transform, so their output type is honoured', () => {
    const Trimmed = new t.Type<string, string, unknown>(
      'Trimmed',
      (u): u is string => typeof u === 'string',
      (u, c) => (typeof u === 'string' ? t.success(u.trim()) : t.failure(u, c)),
      (a) => a,
    );
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-oa', { o: serverOpen(), a: serverFrame('"  padded  "') }));
      expectObservable(source$.pipe(messages(Trimmed)), '^---!').toBe('--a', { a: 'padded' });
    });
  });

  it('ends the stream with the error of an onInvalid callback that throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-ox', { o: serverOpen(), x: serverFrame('{') }));
      const onInvalid = () => {
        throw new RangeError('callback');
      };
      expectObservable(source$.pipe(messages(ChatMessage, { onInvalid }))).toBe('--#', undefined, new RangeError('callback'));
    });
  });

  it('emits nothing for a source that never emits, and passes errors through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(NEVER.pipe(messages(ChatMessage)), '^--!').toBe('---');
      const failure = new Error('upstream');
      expectObservable(cold<SocketEvent>('--#', undefined, failure).pipe(messages(ChatMessage))).toBe('--#', undefined, failure);
    });
  });

  describe('fast path (a compiled guard instead of decode for identity codecs)', () => {
    const Int = t.brand(t.number, (n): n is t.Branded<number, { readonly Int: unique symbol }> => Number.isInteger(n), 'Int');
    interface Tree {
      value: number;
      children: Tree[];
    }
    const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ value: t.number, children: t.array(Tree) }));
    const codecs: Record<string, t.Mixed> = {
      type: t.type({ type: t.literal('message'), id: t.number, room: t.string, ok: t.boolean, nothing: t.null }),
      nested: t.type({ author: t.type({ id: t.string, tags: t.array(t.string) }), mentions: t.readonlyArray(t.number) }),
      optionalField: t.type({ id: t.number, maybe: t.union([t.string, t.undefined]), anything: t.unknown }),
      partial: t.partial({ id: t.number, name: t.string }),
      intersection: t.intersection([t.type({ id: t.number }), t.partial({ note: t.string })]),
      union: t.union([t.type({ type: t.literal('a'), a: t.number }), t.type({ type: t.literal('b'), b: t.string }), t.literal(7)]),
      refinement: t.type({ count: Int }),
      strictAndReadonly: t.readonly(t.strict({ id: t.number })),
      keyof: t.type({ kind: t.keyof({ x: null, y: null }) }),
      keyofRecordTuple: t.type({
        kind: t.keyof({ x: null, y: null }),
        map: t.record(t.string, t.number),
        pair: t.tuple([t.string, t.number]),
      }),
      recursion: Tree,
      unknownRecordAndArray: t.type({ meta: t.UnknownRecord, list: t.UnknownArray }),
      oddKeys: t.type({ 'with space': t.string, '"quoted"': t.number, "it's": t.boolean, '\u2028': t.string }),
    };
    const values: unknown[] = [
      null,
      undefined,
      0,
      7,
      'x',
      true,
      [],
      {},
      [1, 2],
      { type: 'message', id: 1, room: 'r', ok: true, nothing: null },
      { type: 'message', id: '1', room: 'r', ok: true, nothing: null },
      { type: 'message', id: 1, room: 'r', ok: true },
      { author: { id: 'u', tags: ['a', 'b'] }, mentions: [1, 2] },
      { author: { id: 'u', tags: ['a', 2] }, mentions: [] },
      { author: [], mentions: [] },
      { id: 1, maybe: undefined, anything: 3 },
      { id: 1, anything: 3 },
      { id: 1, maybe: 'm' },
      { id: 1, name: 2 },
      { id: 1, note: 'n' },
      { id: 1, note: 5 },
      { type: 'a', a: 1 },
      { type: 'b', b: 1 },
      { type: 'b', b: 'x' },
      { count: 3 },
      { count: 3.5 },
      { count: '3' },
      { kind: 'x' },
      { kind: 'toString' },
      { kind: 'x', map: { a: 1 }, pair: ['a', 1] },
      { kind: 'z', map: {}, pair: ['a', 1] },
      { kind: 'y', map: { a: 'b' }, pair: ['a', 1] },
      { value: 1, children: [{ value: 2, children: [] }] },
      { value: 1, children: [{ value: '2', children: [] }] },
      { meta: {}, list: [] },
      { meta: [], list: [] },
      { meta: null, list: [] },
      { 'with space': 's', '"quoted"': 1, "it's": false, '\u2028': 'l' },
      { 'with space': 's', '"quoted"': '1', "it's": false, '\u2028': 'l' },
    ];

    const emitted = (codec: t.Mixed, inputs: readonly unknown[]): unknown[] => {
      const out: unknown[] = [];
      const frames = inputs.map(
        (value) => ({ type: 'frame', frame: { json: value, error: undefined, preview: () => '', size: 0 } }) as unknown as SocketEvent,
      );
      from(frames)
        .pipe(messages(codec, { onInvalid: () => undefined }))
        .subscribe((value) => out.push(value));
      return out;
    };

    for (const [name, codec] of Object.entries(codecs)) {
      it(`emits exactly the values io-ts accepts: ${name}`, () => {
        // Codecs whose encode is not the identity (intersection, strict, tuple, record, recursion) have no fast path.
        const guard = fastPathFor(codec);
        expect(guard === undefined).to.equal(['intersection', 'strictAndReadonly', 'keyofRecordTuple', 'recursion'].includes(name));
        if (guard) expect(values.map((value) => guard(value))).to.deep.equal(values.map((value) => codec.is(value)));
        expect(values.filter((value) => codec.is(value)).length, 'the table has values io-ts accepts').to.be.greaterThan(0);
        const decoded = values.flatMap((value) => {
          const result = codec.decode(value);
          return result._tag === 'Right' ? [result.right] : [];
        });
        expect(emitted(codec, values)).to.deep.equal(decoded);
      });
    }

    it('agrees with io-ts on random JSON values, and on random ChatMessage-like objects', () => {
      const codec = codecs.nested!;
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc.jsonValue(),
              fc.record({ author: fc.record({ id: fc.jsonValue(), tags: fc.jsonValue() }), mentions: fc.jsonValue() }),
            ),
          ),
          (inputs) => {
            const guard = fastPathFor(codec)!;
            for (const value of inputs) expect(guard(value)).to.equal(codec.is(value));
            expect(emitted(codec, inputs)).to.deep.equal(inputs.filter((value) => codec.is(value)));
          },
        ),
        { numRuns: 200 },
      );
    });

    it('still works where new Function is forbidden (a strict Content-Security-Policy)', () => {
      const original = globalThis.Function;
      globalThis.Function = function forbidden() {
        throw new EvalError('unsafe-eval is not allowed');
      } as unknown as FunctionConstructor;
      try {
        const fresh = t.type({ id: t.number, tags: t.array(t.string), kind: t.union([t.literal('a'), t.literal('b')]) });
        const inputs = [{ id: 1, tags: ['x'], kind: 'a' }, { id: 1, tags: [1], kind: 'a' }, { id: 1, tags: [], kind: 'c' }, null];
        expect(emitted(fresh, inputs)).to.deep.equal([inputs[0]]);
        expect(inputs.map(fastPathFor(fresh)!)).to.deep.equal([true, false, false, false]);
      } finally {
        globalThis.Function = original;
      }
    });
  });

  it('rejects a missing codec when created', () => {
    expect(() => messages(undefined as never)).to.throw(TypeError, /codec/);
    expect(() => messages(ChatMessage, { invalid: 'ignore' as never })).to.throw(TypeError, /invalid/);
  });
});

import { fromWebSocket } from '../../lib/from-web-socket.js';
import { scriptedWebSocket, type ServerAction } from '../../lib/testing/scripted-web-socket.js';
import type { Observable } from 'rxjs';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';

function scriptedWebSocketFor(scheduler: TestScheduler, script: Observable<ServerAction>) {
  return scriptedWebSocket(scheduler, () => script);
}

function fromWebSocketForTest(WebSocketCtor: WebSocketCtor, maxFrameBytes: number) {
  return fromWebSocket('ws://gateway.test', { WebSocketCtor, maxFrameBytes });
}
