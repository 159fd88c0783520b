import { expect } from 'chai';
import * as t from 'io-ts';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { config as rxjsConfig, from, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { WebSocket, WebSocketServer } from 'ws';
import { DecodeError, FrameRejectedError } from '../../lib/errors.js';
import { fromWebSocket } from '../../lib/from-web-socket.js';
import { authenticate } from '../../lib/operators/authenticate.js';
import { heartbeat } from '../../lib/operators/heartbeat.js';
import { messages } from '../../lib/operators/messages.js';
import { reauthOnExpiry } from '../../lib/operators/reauth-on-expiry.js';
import { waitForOpen } from '../../lib/operators/wait-for-open.js';
import { connect } from '../../lib/session/connect.js';
import { scriptedWebSocket, serverFrame, serverOpen, type ServerAction } from '../../lib/testing/scripted-web-socket.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import {
  assertPlainMessage,
  assertPrototypeIntact,
  assertWellFormedDecodeError,
  AuthExpired,
  AuthOk,
  expectedOutcome,
  hostileFrame,
  MAX_FRAME,
  Msg,
  Pong,
  type HostileFrame,
} from './hostile-frames.js';

/** Fixed seed: a failure replays; fast-check prints the counterexample and the path. */
const SEED = 20_261_124;
const RUNS = 150;
const ack = serverFrame({ type: 'auth_ok' });
const expiredNotice = serverFrame({ type: 'auth_expired' });

/** A frame as the scripted server sends it (strings and binary as they are). */
const action = (frame: HostileFrame): ServerAction => ({ kind: 'frame', data: frame });

/** Collects what rxjs would otherwise throw asynchronously (a crash in Node). */
function captureUnhandled(): { errors: unknown[]; settle: () => Promise<unknown[]>; restore: () => void } {
  const errors: unknown[] = [];
  const previous = rxjsConfig.onUnhandledError;
  rxjsConfig.onUnhandledError = (error) => errors.push(error);
  return {
    errors,
    // rxjs reports them from a setTimeout: let one pass.
    settle: () => new Promise((resolve) => setTimeout(() => resolve(errors), 0)),
    restore: () => {
      rxjsConfig.onUnhandledError = previous;
    },
  };
}

/** Phases in which the fuzz delivers frames, each a list of frames. */
const phases = fc.record({
  beforeOpen: fc.array(hostileFrame, { maxLength: 3 }),
  duringAuth: fc.array(hostileFrame, { maxLength: 6 }),
  ready: fc.array(hostileFrame, { maxLength: 10 }),
  duringReauth: fc.array(hostileFrame, { maxLength: 6 }),
  afterReauth: fc.array(hostileFrame, { maxLength: 6 }),
});
type Phases = {
  beforeOpen: HostileFrame[];
  duringAuth: HostileFrame[];
  ready: HostileFrame[];
  duringReauth: HostileFrame[];
  afterReauth: HostileFrame[];
};

/** The server's script: frames before open (never delivered), during auth, ready, during re-auth, after. */
function script(frames: Phases): Observable<ServerAction> {
  return from([
    ...frames.beforeOpen.map(action),
    serverOpen(),
    ...frames.duringAuth.map(action),
    ack,
    ...frames.ready.map(action),
    expiredNotice,
    ...frames.duringReauth.map(action),
    ack,
    ...frames.afterReauth.map(action),
  ]);
}

/** Frames that reach the app, in order (nothing arrives before open; frames during auth are held, not lost). */
const delivered = (frames: Phases): HostileFrame[] => [
  ...frames.duringAuth,
  ...frames.ready,
  ...frames.duringReauth,
  ...frames.afterReauth,
];

describe('fuzzing inbound frames (fast-check)', () => {
  let unhandled: ReturnType<typeof captureUnhandled>;
  beforeEach(() => {
    unhandled = captureUnhandled();
  });
  afterEach(() => unhandled.restore());

  it('the operator pipeline never errors or crashes, decodes every valid frame, and reports every other one as a typed DecodeError, in every phase', async () => {
    let framesFuzzed = 0;
    await fc.assert(
      fc.asyncProperty(phases, async (frames) => {
        const scheduler = new TestScheduler(() => undefined);
        const { WebSocketCtor } = scriptedWebSocket(scheduler, () => script(frames));
        const outcomes: string[] = [];
        const failures: unknown[] = [];
        const subscription = fromWebSocket('ws://gateway.localhost', { WebSocketCtor, scheduler, maxFrameBytes: MAX_FRAME })
          .pipe(
            waitForOpen({ timeout: 1000, scheduler }),
            authenticate({ token: 'token', message: (token) => ({ type: 'auth', token }), ack: AuthOk, timeout: 1000, scheduler }),
            heartbeat({ interval: 1000, timeout: 1000, ping: () => ({ type: 'ping' }), pong: Pong, scheduler }),
            reauthOnExpiry({ expired: AuthExpired, timeout: 1000, scheduler }),
            messages(Msg, {
              onInvalid: (error) => {
                assertWellFormedDecodeError(error);
                outcomes.push(error.kind);
              },
            }),
          )
          .subscribe({
            next: (message) => {
              assertPlainMessage(message);
              outcomes.push('message');
            },
            error: (error: unknown) => failures.push(error),
            complete: () => failures.push('completed'),
          });
        scheduler.flush();
        subscription.unsubscribe();
        framesFuzzed += frames.beforeOpen.length + delivered(frames).length;
        expect(failures).to.deep.equal([]);
        expect(outcomes).to.deep.equal(delivered(frames).map(expectedOutcome));
        assertPrototypeIntact();
        expect(await unhandled.settle()).to.deep.equal([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(framesFuzzed).to.be.greaterThan(RUNS * 10);
  });

  it('a connect() session stays ready through hostile frames: valid ones on messages$, the rest on invalid$', async () => {
    await fc.assert(
      fc.asyncProperty(phases, async (frames) => {
        const scheduler = new TestScheduler(() => undefined);
        const { WebSocketCtor } = scriptedWebSocket(scheduler, () => script(frames));
        const session = connect({
          url: 'ws://gateway.localhost',
          WebSocketCtor,
          scheduler,
          inbound: Msg,
          maxFrameBytes: MAX_FRAME,
          token: 'token',
          auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk, expired: AuthExpired, timeout: 1000 },
          heartbeat: { interval: 1000, timeout: 1000, ping: () => ({ type: 'ping' }), pong: Pong },
          sendAck: { keyOf: () => undefined, ackedKey: (frame) => acceptedKey(frame) },
          retryAfter: (frame) => retryAfterMs(frame),
        });
        const outcomes: string[] = [];
        const failures: unknown[] = [];
        session.invalid$.subscribe((error) => {
          assertWellFormedDecodeError(error);
          outcomes.push(error.kind);
        });
        const subscription = session.messages$.subscribe({
          next: (message) => {
            assertPlainMessage(message);
            outcomes.push('message');
          },
          error: (error: unknown) => failures.push(error),
        });
        scheduler.flush();
        expect(failures).to.deep.equal([]);
        expect(session.state.type).to.equal('ready');
        expect(outcomes).to.deep.equal(delivered(frames).map(expectedOutcome));
        subscription.unsubscribe();
        session.close();
        assertPrototypeIntact();
        expect(await unhandled.settle()).to.deep.equal([]);
      }),
      { seed: SEED + 1, numRuns: 60 },
    );
  });

  it('a predicate matcher that throws on a frame (e.g. `null`) ends the stream with its error instead of crashing the process', async () => {
    const scheduler = new TestScheduler(() => undefined);
    const { WebSocketCtor } = scriptedWebSocket(scheduler, () => from([serverOpen(), serverFrame('null'), ack]));
    const failures: unknown[] = [];
    fromWebSocket('ws://gateway.localhost', { WebSocketCtor, scheduler })
      .pipe(
        authenticate({
          token: 't',
          message: (token) => ({ token }),
          ack: (value) => (value as { type: string }).type === 'auth_ok',
          timeout: 0,
          scheduler,
        }),
        messages(Msg, { onInvalid: () => undefined }),
      )
      .subscribe({ error: (error: unknown) => failures.push(error) });
    scheduler.flush();
    expect(await unhandled.settle()).to.deep.equal([]);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.be.instanceOf(TypeError); // the app's bug, surfaced where the app listens
  });

  it('a frame nested too deeply for a recursive codec is reported as a schema DecodeError, not thrown (stack overflow)', async () => {
    interface Tree {
      children: Tree[];
    }
    const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ children: t.array(Tree) }));
    let deep = '{"children":[]}';
    for (let depth = 0; depth < 20_000; depth++) deep = `{"children":[${deep}]}`;
    const scheduler = new TestScheduler(() => undefined);
    const { WebSocketCtor } = scriptedWebSocket(scheduler, () => from([serverOpen(), serverFrame(deep)]));
    const reported: DecodeError[] = [];
    const failures: unknown[] = [];
    fromWebSocket('ws://gateway.localhost', { WebSocketCtor, scheduler, maxFrameBytes: Infinity })
      .pipe(messages(Tree, { onInvalid: (error) => reported.push(error) }))
      .subscribe({ error: (error: unknown) => failures.push(error) });
    scheduler.flush();
    expect(await unhandled.settle()).to.deep.equal([]);
    expect(failures).to.deep.equal([]);
    expect(reported).to.have.length(1);
    assertWellFormedDecodeError(reported[0]);
    expect(reported[0]!.kind).to.equal('schema');
    expect(reported[0]!.issues).to.deep.equal(['at (root): the codec threw RangeError: Maximum call stack size exceeded']);
    expect(reported[0]!.size).to.equal(deep.length);
  });
});

describe('fuzzing inbound frames over a real socket (ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let server: WebSocketServer;
  /** What the server sends after the auth ack, per connection, in order. */
  let framesToSend: HostileFrame[] = [];
  let raw: ((socket: import('ws').WebSocket) => void) | undefined;

  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (socket) => {
      socket.on('error', () => undefined);
      socket.once('message', () => {
        socket.send(JSON.stringify({ type: 'auth_ok' }));
        if (raw) return raw(socket);
        for (const frame of framesToSend) socket.send(frame, { binary: typeof frame !== 'string' });
        socket.send(JSON.stringify({ type: 'message', id: -1, text: 'sentinel' }));
      });
    });
  });

  afterEach(async () => {
    raw = undefined;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const url = () => `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const session = (WebSocketCtor: WebSocketCtor = WebSocket as unknown as WebSocketCtor) =>
    connect({
      url: url(),
      WebSocketCtor,
      inbound: Msg,
      maxFrameBytes: MAX_FRAME,
      token: 'token',
      auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
      retry: false,
    });

  it('a session decodes or reports each of 300 hostile frames, in order, and stays ready', async () => {
    // Lone surrogates cannot cross the wire: the sender writes U+FFFD instead, so expect what arrives.
    framesToSend = fc
      .sample(hostileFrame, { seed: SEED, numRuns: 300 })
      .map((frame) => (typeof frame === 'string' ? Buffer.from(frame).toString() : frame));
    const live = session();
    const outcomes: string[] = [];
    live.invalid$.subscribe((error) => {
      assertWellFormedDecodeError(error);
      outcomes.push(error.kind);
    });
    await new Promise<void>((resolve, reject) => {
      live.messages$.subscribe({
        next: (message) => {
          if (message.text === 'sentinel' && message.id === -1) return resolve();
          assertPlainMessage(message);
          outcomes.push('message');
        },
        error: reject,
      });
    });
    expect(live.state.type).to.equal('ready');
    expect(outcomes).to.deep.equal(framesToSend.map(expectedOutcome));
    expect(new Set(outcomes)).to.include.keys('message', 'json', 'schema', 'binary', 'too-large');
    live.close();
    assertPrototypeIntact();
  });

  it('a text frame that is not valid UTF-8 ends the session with FrameRejectedError (1007), not a silent 1006', async () => {
    raw = (socket) => socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    const live = session();
    const error = await new Promise<unknown>((resolve) => live.messages$.subscribe({ error: resolve }));
    expect(error).to.be.instanceOf(FrameRejectedError);
    expect(error).to.deep.include({ kind: 'invalid-utf8', closeCode: 1007, phase: 'ready' });
    expect(live.state.type).to.equal('closed');
  });

  it("a frame over ws's maxPayload ends the session with FrameRejectedError (1009), never buffering it", async () => {
    class LimitedWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { maxPayload: 1024 });
      }
    }
    raw = (socket) => socket.send(JSON.stringify({ type: 'message', id: 1, text: 'x'.repeat(4096) }));
    const live = session(LimitedWebSocket as unknown as WebSocketCtor);
    const error = await new Promise<unknown>((resolve) => live.messages$.subscribe({ error: resolve }));
    expect(error).to.be.instanceOf(FrameRejectedError);
    expect(error).to.deep.include({ kind: 'too-large', closeCode: 1009 });
    expect((error as Error).message).to.match(/over its size limit/);
  });

  it('a frame over maxFrameBytes (within the socket limit) is reported as too-large and the session goes on', async () => {
    raw = (socket) => {
      socket.send(JSON.stringify({ type: 'message', id: 1, text: 'x'.repeat(MAX_FRAME) }));
      socket.send(JSON.stringify({ type: 'message', id: 2, text: 'after' }));
    };
    const live = session();
    const invalid: DecodeError[] = [];
    live.invalid$.subscribe((error) => invalid.push(error));
    const next = await new Promise<Msg>((resolve, reject) => live.messages$.subscribe({ next: resolve, error: reject }));
    expect(next).to.deep.equal({ type: 'message', id: 2, text: 'after' });
    expect(invalid.map((error) => [error.kind, error.preview])).to.deep.equal([['too-large', '']]);
    expect(invalid[0]!.size).to.be.greaterThan(MAX_FRAME);
    live.close();
  });
});

function acceptedKey(frame: unknown): string | undefined {
  const value = frame as { type?: unknown; clientId?: unknown } | null;
  return value !== null && typeof value === 'object' && value.type === 'accepted' && typeof value.clientId === 'string'
    ? value.clientId
    : undefined;
}

function retryAfterMs(frame: unknown): number | undefined {
  const value = frame as { type?: unknown; retryAfterMs?: unknown } | null;
  return value !== null && typeof value === 'object' && value.type === 'retry_after' && typeof value.retryAfterMs === 'number'
    ? value.retryAfterMs
    : undefined;
}
