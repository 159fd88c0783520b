import type { SocketEvent } from '../../lib/socket-event.js';
import { expect } from 'chai';
import * as t from 'io-ts';
import { NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
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
      const { WebSocketCtor } = scriptedWebSocketFor(testScheduler, cold('-ojbh', { o: serverOpen(), j: serverFrame('{nope'), b: serverFrame(new Uint8Array([1, 2])), h: serverFrame(huge) }));
      fromWebSocketForTest(WebSocketCtor, 1000).pipe(messages(ChatMessage, { onInvalid: (e) => reported.push(e) })).subscribe({ error: () => undefined });
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
