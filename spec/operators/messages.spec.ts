import type { SocketEvent } from '../../lib/socket-event.js';
import { expect } from 'chai';
import * as t from 'io-ts';
import * as fc from 'fast-check';
import { from, NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { decoderFor, describeThrow, fastPathFor } from '../../lib/decode.js';
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

  describe('a codec that throws', () => {
    /** A codec that transforms (no fast path) and whose validate throws on `{ boom: true }`. */
    const Exploding = new t.Type<{ n: number }, { n: number }, unknown>(
      'Exploding',
      (u): u is { n: number } => typeof (u as { n?: unknown }).n === 'number',
      (u, c) => {
        if ((u as { boom?: unknown }).boom === true) throw new TypeError('cannot read properties of undefined');
        return typeof (u as { n?: unknown }).n === 'number' ? t.success({ n: (u as { n: number }).n }) : t.failure(u, c);
      },
      (a) => ({ ...a }),
    );
    /** An identity codec (fast path) whose refinement predicate has a bug: it throws on an empty list. */
    const FirstPositive = t.refinement(t.type({ items: t.array(t.number) }), (v) => v.items[0]!.toFixed() !== '-1', 'FirstPositive');

    it('reports a throwing decode as a schema DecodeError naming the error, and goes on', () => {
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const reported: DecodeError[] = [];
        const { source$ } = scriptedSource(testScheduler, () =>
          cold('-oxa', { o: serverOpen(), x: serverFrame({ boom: true, secret: 'x'.repeat(300) }), a: serverFrame({ n: 1 }) }),
        );
        expectObservable(source$.pipe(messages(Exploding, { onInvalid: (e) => reported.push(e) })), '^-----!').toBe('---a', {
          a: { n: 1 },
        });
        flush();
        expect(reported).to.have.length(1);
        expect(reported[0]).to.be.instanceOf(DecodeError);
        expect(reported[0]!.kind).to.equal('schema');
        expect(reported[0]!.issues).to.deep.equal(['at (root): the codec threw TypeError: cannot read properties of undefined']);
        expect(reported[0]!.message).to.equal(
          'a frame does not match the codec: at (root): the codec threw TypeError: cannot read properties of undefined',
        );
        expect(reported[0]!.preview).to.have.length(200);
      });
    });

    it('reports a refinement predicate that throws (fast path) the same way, and still emits valid frames', () => {
      expect(fastPathFor(FirstPositive), 'this codec has a compiled guard').not.to.equal(undefined);
      testScheduler.run(({ cold, expectObservable, flush }) => {
        const reported: DecodeError[] = [];
        const { source$ } = scriptedSource(testScheduler, () =>
          cold('-oxa', { o: serverOpen(), x: serverFrame({ items: [] }), a: serverFrame({ items: [2] }) }),
        );
        expectObservable(source$.pipe(messages(FirstPositive, { onInvalid: (e) => reported.push(e) })), '^-----!').toBe('---a', {
          a: { items: [2] },
        });
        flush();
        expect(reported.map((e) => [e.kind, e.issues])).to.deep.equal([
          ['schema', ["at (root): the codec threw TypeError: Cannot read properties of undefined (reading 'toFixed')"]],
        ]);
      });
    });

    it("ends the stream with the DecodeError, not what the codec threw, with invalid: 'error'", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { source$ } = scriptedSource(testScheduler, () =>
          cold('-oax', { o: serverOpen(), a: serverFrame({ n: 1 }), x: serverFrame({ boom: true }) }),
        );
        const error = new DecodeError('schema', ['at (root): the codec threw TypeError: cannot read properties of undefined'], '', 0);
        expectObservable(source$.pipe(messages(Exploding, { invalid: 'error' }))).toBe('--a#', { a: { n: 1 } }, error);
      });
    });

    it('emits what decode accepts when only the fast guard throws', () => {
      // An identity codec whose `is` throws on anything but a number, while validate is sound.
      const Picky = new t.Type<number, number, unknown>(
        'Picky',
        (u): u is number => (u as number).toFixed() !== '',
        (u, c) => (typeof u === 'number' ? t.success(u) : t.failure(u, c)),
        t.identity,
      );
      expect(fastPathFor(Picky)!(null)).to.equal(false);
      const out: unknown[] = [];
      const reported: DecodeError[] = [];
      const frames = [3, null, 4].map((json) => ({ type: 'frame', frame: { json, preview: () => '', size: 0 } }) as unknown as SocketEvent);
      from(frames)
        .pipe(messages(Picky, { onInvalid: (e) => reported.push(e) }))
        .subscribe((value) => out.push(value));
      expect(out).to.deep.equal([3, 4]);
      expect(reported.map((e) => e.issues)).to.deep.equal([['at (root): expected Picky, got null']]);
    });

    it('decoderFor (the protocol presets) never throws either', () => {
      const decode = decoderFor(FirstPositive);
      expect(decode({ items: [5] }, () => '', 0)).to.deep.equal({ ok: true, value: { items: [5] } });
      const failed = decode({ items: [] }, () => 'preview', 12);
      expect(failed.ok).to.equal(false);
      expect(!failed.ok && [failed.error.kind, failed.error.preview, failed.error.size]).to.deep.equal(['schema', 'preview', 12]);
    });

    it('decoderFor still returns a DecodeError when building the preview throws (a value too deep to stringify)', () => {
      const Count = t.type({ count: t.number });
      let deep: unknown = 0;
      for (let level = 0; level < 20_000; level++) deep = [deep];
      const failed = decoderFor(Count)({ count: deep }, () => JSON.stringify(deep), 0);
      expect(failed.ok).to.equal(false);
      expect(!failed.ok && failed.error.preview).to.match(/no preview/);
    });

    it('names a long record key from the frame by its length only (a key may be a token)', () => {
      const Prices = t.type({ prices: t.record(t.string, t.number) });
      const key = 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature';
      const failed = decoderFor(Prices)({ prices: { [key]: 'free' } }, () => '', 0);
      expect(!failed.ok && failed.error.message).to.include(`.prices.<a key of ${key.length} characters>: expected number`);
      expect(!failed.ok && failed.error.message).to.not.include('eyJ');
    });

    it('names what was thrown without copying long text or frame content', () => {
      const long = new RangeError(`${'a'.repeat(150)}\nsecond line with the frame`);
      expect(describeThrow(long)).to.equal(`at (root): the codec threw RangeError: ${'a'.repeat(120)}...`);
      expect(describeThrow(new Error(''))).to.equal('at (root): the codec threw Error');
      expect(describeThrow('short')).to.equal('at (root): the codec threw "short"');
      expect(describeThrow('a thrown string that is long enough to be a token')).to.equal(
        'at (root): the codec threw a string of 49 characters',
      );
      expect(describeThrow({ any: 'object' })).to.equal('at (root): the codec threw an object');
      const hostile = new Error('x');
      Object.defineProperty(hostile, 'message', {
        get() {
          throw new Error('getter');
        },
      });
      expect(describeThrow(hostile)).to.equal('at (root): the codec threw an error that cannot be read');
    });
  });

  describe('deeply nested frames', () => {
    interface Tree {
      children: Tree[];
    }
    const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ children: t.array(Tree) }));
    const nested = (depth: number): string => '{"children":['.repeat(depth) + '{"children":[]}' + ']}'.repeat(depth);
    const frame = (text: string) => ({ type: 'frame', frame: new InboundFrame(text) }) as unknown as SocketEvent;

    it("reports a binary frame over maxFrameBytes as 'too-large', like a text one", () => {
      const reported: DecodeError[] = [];
      const oversized = { type: 'frame', frame: new InboundFrame(new Uint8Array(2048).buffer, 1024) } as unknown as SocketEvent;
      from([oversized])
        .pipe(messages(Tree, { onInvalid: (e) => reported.push(e) }))
        .subscribe();
      expect(reported.map((error) => [error.kind, error.size])).to.deep.equal([['too-large', 2048]]);
    });

    it('reports a frame too deep for a recursive codec (a stack overflow in io-ts) and decodes the next one', () => {
      const out: unknown[] = [];
      const reported: DecodeError[] = [];
      from([frame(nested(50_000)), frame(nested(2))])
        .pipe(messages(Tree, { onInvalid: (e) => reported.push(e) }))
        .subscribe((value) => out.push(value));
      expect(out).to.deep.equal([{ children: [{ children: [{ children: [] }] }] }]);
      expect(reported.map((e) => e.issues)).to.deep.equal([['at (root): the codec threw RangeError: Maximum call stack size exceeded']]);
    });

    it('gives no codec that contains a t.recursion a compiled guard (its encode is not the identity)', () => {
      const containing = [
        Tree,
        t.type({ tree: Tree }),
        t.array(Tree),
        t.union([Tree, t.null]),
        t.partial({ tree: Tree }),
        t.readonly(Tree),
      ];
      expect(containing.map((codec) => fastPathFor(codec))).to.deep.equal(containing.map(() => undefined));
    });

    it('compiles guards that nest as deep as the codec, not the value', () => {
      const Shallow = t.type({ children: t.UnknownArray, meta: t.unknown });
      const value = JSON.parse(`{"children":${'['.repeat(50_000)}${']'.repeat(50_000)},"meta":${nested(50_000)}}`);
      expect(fastPathFor(Shallow)!(value)).to.equal(true);
    });

    it('a hand-written recursive identity codec: its guard says no instead of overflowing, and the frame is reported', () => {
      const isTree = (u: unknown): u is Tree =>
        u !== null && typeof u === 'object' && Array.isArray((u as Tree).children) && (u as Tree).children.every(isTree);
      const HandTree = new t.Type<Tree>('HandTree', isTree, (u, c) => (isTree(u) ? t.success(u) : t.failure(u, c)), t.identity);
      const guard = fastPathFor(HandTree)!;
      expect(guard(JSON.parse(nested(3)))).to.equal(true);
      expect(guard(JSON.parse(nested(50_000)))).to.equal(false);
      const reported: DecodeError[] = [];
      from([frame(nested(50_000))])
        .pipe(messages(HandTree, { onInvalid: (e) => reported.push(e) }))
        .subscribe();
      expect(reported.map((e) => e.issues)).to.deep.equal([['at (root): the codec threw RangeError: Maximum call stack size exceeded']]);
    });

    it('a codec object that contains itself compiles (once per node) instead of recursing forever', () => {
      const props: Record<string, t.Mixed> = { next: t.unknown };
      const Chain = t.type(props);
      props.next = Chain; // io-ts captured `t.unknown` at creation; the guard reads props and sees a cycle
      const guard = fastPathFor(Chain)!;
      expect(guard({ next: 1 })).to.equal(false); // stricter than io-ts: allowed, decode has the last word
      expect(emittedBy(Chain, [{ next: 1 }, null])).to.deep.equal([{ next: 1 }]);
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
        const throwing = t.refinement(t.number, (n) => n.toFixed(n) !== '', 'Throwing'); // toFixed(-1) throws
        expect([1, -1].map(fastPathFor(throwing)!)).to.deep.equal([true, false]);
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
import { InboundFrame } from '../../lib/inbound-frame.js';
import { scriptedWebSocket, type ServerAction } from '../../lib/testing/scripted-web-socket.js';
import type { Observable } from 'rxjs';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';

function scriptedWebSocketFor(scheduler: TestScheduler, script: Observable<ServerAction>) {
  return scriptedWebSocket(scheduler, () => script);
}

function fromWebSocketForTest(WebSocketCtor: WebSocketCtor, maxFrameBytes: number) {
  return fromWebSocket('ws://gateway.localhost', { WebSocketCtor, maxFrameBytes });
}

/** What `messages(codec)` emits for frames already parsed to these values. */
function emittedBy(codec: t.Mixed, values: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  from(values.map((json) => ({ type: 'frame', frame: { json, preview: () => '', size: 0 } }) as unknown as SocketEvent))
    .pipe(messages(codec, { onInvalid: () => undefined }))
    .subscribe((value) => out.push(value));
  return out;
}
