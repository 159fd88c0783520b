import { expect } from 'chai';
import * as t from 'io-ts';
import { asyncScheduler, from, NEVER, type Observable } from 'rxjs';
import sinon from 'sinon';
import { ConnectTimeoutError } from '../../lib/errors.js';
import { fromWebSocket, type FromWebSocketConfig } from '../../lib/from-web-socket.js';
import { authenticate, type AuthenticateConfig } from '../../lib/operators/authenticate.js';
import { heartbeat, type HeartbeatConfig } from '../../lib/operators/heartbeat.js';
import { messages } from '../../lib/operators/messages.js';
import { reauthOnExpiry, type ReauthOnExpiryConfig } from '../../lib/operators/reauth-on-expiry.js';
import { retryWithBackoff, type RetryWithBackoffConfig } from '../../lib/operators/retry-with-backoff.js';
import { waitForOpen, type WaitForOpenConfig } from '../../lib/operators/wait-for-open.js';
import { connect, type ConnectConfig } from '../../lib/session/connect.js';
import type { SocketEvent } from '../../lib/socket-event.js';
import { scriptedWebSocket, serverFrame, serverOpen, type ServerAction } from '../../lib/testing/scripted-web-socket.js';

const AuthOk = t.type({ type: t.literal('auth_ok') });
const AuthExpired = t.type({ type: t.literal('auth_expired') });
const Message = t.type({ type: t.literal('message'), id: t.number });
type Message = t.TypeOf<typeof Message>;
/** Past the longest timer a runtime keeps (2^31 - 1 ms), which would fire at once. */
const TOO_LONG = 2 ** 31;

type Case = readonly [label: string, create: () => unknown, names: RegExp];

/** Every case must throw a TypeError at creation whose message names the option. */
function rejectsAll(cases: readonly Case[]): void {
  for (const [label, create, names] of cases) {
    it(`rejects ${label} when created, naming the option`, () => {
      expect(create).to.throw(TypeError, names);
    });
  }
}

const authConfig = (overrides: Partial<AuthenticateConfig>): AuthenticateConfig => ({
  token: 'x',
  message: (token) => ({ type: 'auth', token }),
  ack: AuthOk,
  ...overrides,
});

describe('bad configuration fails at creation with a TypeError naming the option', () => {
  describe('fromWebSocket', () => {
    const create =
      (url: unknown, config: object = {}) =>
      () =>
        fromWebSocket(url as string, config as FromWebSocketConfig);
    rejectsAll([
      [
        'a plain ws:// URL to another machine',
        create('ws://chat.example.com/socket'),
        /url is plain ws:\/\/ to chat\.example\.com.*allowInsecure/,
      ],
      ['a plain ws:// URL to a LAN address', create('ws://192.168.1.20:8080'), /url is plain ws:\/\/ to 192\.168\.1\.20/],
      [
        'a plain ws:// URL to a *.test name (a local DNS may serve it)',
        create('ws://gateway.test'),
        /url is plain ws:\/\/ to gateway\.test/,
      ],
      ['a plain ws:// URL to a *.example name', create('ws://chat.example'), /url is plain ws:\/\/ to chat\.example/],
      ['an http:// URL to another machine', create('http://chat.example.com'), /url is plain ws:\/\//],
      ['a URL that does not parse', create('not a url'), /url is not a valid URL/],
      ['a scheme a WebSocket cannot use', create('ftp://127.0.0.1'), /url must use ws:\/\/ or wss:\/\//],
      [
        'a URL with a #fragment (the WebSocket constructor throws on it)',
        create('wss://a.example.com/ws#room'),
        /url must not have a #fragment/,
      ],
      ['a URL with an empty fragment', create('wss://a.example.com/ws#'), /url must not have a #fragment/],
      ['a url that is neither a string nor a function', create(42), /url must be a string or a function/],
      ['a negative maxFrameBytes', create('wss://a.example.com', { maxFrameBytes: -1 }), /maxFrameBytes/],
      ['maxFrameBytes NaN', create('wss://a.example.com', { maxFrameBytes: Number.NaN }), /maxFrameBytes/],
      ['a WebSocketCtor that is not a constructor', create('wss://a.example.com', { WebSocketCtor: {} }), /WebSocketCtor/],
      ['protocols that are not strings', create('wss://a.example.com', { protocols: [1] }), /protocols/],
      ['a serialize that is not a function', create('wss://a.example.com', { serialize: 'json' }), /serialize/],
      ['allowInsecure that is not a boolean', create('wss://a.example.com', { allowInsecure: 'yes' }), /allowInsecure/],
      ['a scheduler without now()', create('wss://a.example.com', { scheduler: {} }), /scheduler/],
    ]);

    it('accepts wss:// anywhere, ws:// on this machine or to a name that cannot leave it, and ws:// elsewhere with allowInsecure', () => {
      for (const url of [
        'wss://chat.example.com/socket',
        'ws://127.0.0.1:8080',
        'ws://127.8.9.10',
        'ws://localhost:3000',
        'ws://api.localhost',
        'ws://[::1]:9000',
        'ws://gateway.localhost',
        'ws://host.invalid',
      ]) {
        expect(() => fromWebSocket(url), url).not.to.throw();
      }
      expect(() => fromWebSocket('ws://chat.example.com', { allowInsecure: true })).not.to.throw();
    });

    it('names the host only, never the path or query of the URL', () => {
      expect(create('ws://chat.example.com/socket?token=canary-secret'))
        .to.throw(TypeError)
        .that.satisfies((error: Error) => !error.message.includes('canary-secret') && !error.message.includes('/socket'));
    });

    it('checks a URL function on every connect, and ends the stream with the TypeError', () => {
      const { WebSocketCtor, sockets } = scriptedWebSocket(asyncScheduler, () => NEVER);
      const errors: unknown[] = [];
      fromWebSocket(() => 'ws://chat.example.com', { WebSocketCtor }).subscribe({ error: (error: unknown) => errors.push(error) });
      expect(errors).to.have.length(1);
      expect(errors[0]).to.be.instanceOf(TypeError);
      expect((errors[0] as Error).message).to.match(/url is plain ws:\/\/ to chat\.example\.com/);
      expect(sockets).to.have.length(0); // no socket was ever opened to it
    });
  });

  describe('waitForOpen', () => {
    const create = (config: WaitForOpenConfig | number) => () => waitForOpen(config);
    rejectsAll([
      ['a negative timeout', create(-1), /waitForOpen: timeout/],
      ['a negative timeout (shorthand)', create({ timeout: -5 }), /waitForOpen: timeout/],
      ['timeout NaN', create(Number.NaN), /waitForOpen: timeout/],
      ['a timeout past the longest timer', create(TOO_LONG), /waitForOpen: timeout/],
    ]);
  });

  describe('authenticate', () => {
    const create = (config: object) => () => authenticate(config as AuthenticateConfig);
    rejectsAll([
      ['a missing token', create({ message: () => ({}), ack: AuthOk }), /authenticate: token/],
      ['a missing message builder', create({ token: 'x', ack: AuthOk }), /authenticate: message/],
      ['a missing ack matcher', create({ token: 'x', message: () => ({}) }), /authenticate: ack/],
      ['an ack that is neither codec nor predicate', create(authConfig({ ack: 'auth_ok' as never })), /authenticate: ack/],
      ['a bad reject matcher', create(authConfig({ reject: 5 as never })), /authenticate: reject/],
      ['a negative timeout', create(authConfig({ timeout: -1 })), /authenticate: timeout/],
      ['a timeout past the longest timer', create(authConfig({ timeout: TOO_LONG })), /authenticate: timeout/],
      ['a rejectReason that is not a function', create(authConfig({ rejectReason: 'reason' as never })), /authenticate: rejectReason/],
      ['an expiresAt that is not a function', create(authConfig({ expiresAt: 5 as never })), /authenticate: expiresAt/],
      ['no config at all', () => authenticate(undefined as never), /authenticate: token/],
    ]);
  });

  describe('heartbeat', () => {
    const create = (config: object) => () => heartbeat(config as HeartbeatConfig);
    const ping = () => ({ type: 'ping' });
    rejectsAll([
      ['a negative interval', create({ interval: -1, ping }), /heartbeat: interval/],
      ['an interval past the longest timer (a ping every ms)', create({ interval: TOO_LONG, ping }), /heartbeat: interval/],
      ['a zero timeout', create({ timeout: 0, ping }), /heartbeat: timeout/],
      ['a negative timeout', create({ timeout: -10, ping }), /heartbeat: timeout/],
      ['timeout Infinity', create({ timeout: Infinity, ping }), /heartbeat: timeout/],
      ['a negative maxSilence', create({ interval: 0, maxSilence: -1 }), /heartbeat: maxSilence/],
      ['maxSilence Infinity', create({ interval: 0, maxSilence: Infinity }), /heartbeat: maxSilence/],
      ['pings without a ping builder', create({ interval: 1000 }), /heartbeat: ping/],
      ['a bad pong matcher', create({ ping, pong: 'pong' as never }), /heartbeat: pong/],
      ["expect 'pong' without a pong matcher", create({ ping, expect: 'pong' }), /heartbeat: expect/],
      ['an unknown expect', create({ ping, expect: 'anything' as never }), /heartbeat: expect/],
      ['a bad serverPing matcher', create({ ping, serverPing: 1 as never }), /heartbeat: serverPing/],
      ['a replyToServerPing that is not a function', create({ ping, replyToServerPing: 'pong' as never }), /heartbeat: replyToServerPing/],
    ]);
  });

  describe('reauthOnExpiry', () => {
    const create = (config: object) => () => reauthOnExpiry(config as ReauthOnExpiryConfig);
    rejectsAll([
      ['a missing expired matcher', create({}), /reauthOnExpiry: expired/],
      ['no config at all', () => reauthOnExpiry(undefined as never), /reauthOnExpiry: expired/],
      ['a negative timeout', create({ expired: AuthExpired, timeout: -1 }), /reauthOnExpiry: timeout/],
      ['a timeout past the longest timer', create({ expired: AuthExpired, timeout: TOO_LONG }), /reauthOnExpiry: timeout/],
      ['a negative refreshBefore', create({ expired: AuthExpired, refreshBefore: -1 }), /reauthOnExpiry: refreshBefore/],
      ['refreshBefore Infinity', create({ expired: AuthExpired, refreshBefore: Infinity }), /reauthOnExpiry: refreshBefore/],
    ]);
  });

  describe('retryWithBackoff', () => {
    const create = (config: object) => () => retryWithBackoff(config as RetryWithBackoffConfig);
    rejectsAll([
      ['a negative initialDelay', create({ initialDelay: -1 }), /retryWithBackoff: initialDelay/],
      ['an infinite maxDelay', create({ maxDelay: Infinity }), /retryWithBackoff: maxDelay/],
      ['maxDelay below initialDelay', create({ initialDelay: 100, maxDelay: 10 }), /retryWithBackoff: maxDelay/],
      ['a multiplier below 1', create({ multiplier: 0.5 }), /retryWithBackoff: multiplier/],
      ['an unknown jitter', create({ jitter: 'some' as never }), /retryWithBackoff: jitter/],
      ['a random that is not a function', create({ random: 0.5 as never }), /retryWithBackoff: random/],
      ['negative maxAttempts', create({ maxAttempts: -1 }), /retryWithBackoff: maxAttempts/],
      ['negative maxElapsed', create({ maxElapsed: -1 }), /retryWithBackoff: maxElapsed/],
      ['negative resetAfter', create({ resetAfter: -1 }), /retryWithBackoff: resetAfter/],
      ['a shouldRetry that is not a function', create({ shouldRetry: true as never }), /retryWithBackoff: shouldRetry/],
      ['an onRetry that is not a function', create({ onRetry: 'log' as never }), /retryWithBackoff: onRetry/],
    ]);
  });

  describe('messages', () => {
    rejectsAll([
      ['a missing codec', () => messages(undefined as never), /messages: codec/],
      ['a codec without decode', () => messages({ is: () => true } as never), /messages: codec/],
      ['an unknown invalid policy', () => messages(Message, { invalid: 'ignore' as never }), /messages: invalid/],
    ]);
  });

  describe('connect (validates its own options, and delegates the rest to the operators at creation)', () => {
    const base = (): ConnectConfig<Message> => ({
      url: 'ws://127.0.0.1:1',
      inbound: Message,
      WebSocketCtor: scriptedWebSocket(asyncScheduler, () => NEVER).WebSocketCtor,
    });
    const create = (overrides: object) => () => connect({ ...base(), ...overrides } as ConnectConfig<Message>);
    rejectsAll([
      ['a missing inbound codec', create({ inbound: undefined as never }), /connect: inbound/],
      ['a negative connectTimeout (waitForOpen)', create({ connectTimeout: -1 }), /waitForOpen: timeout/],
      [
        'a negative auth.timeout (authenticate)',
        create({ token: 'x', auth: { message: () => ({}), ack: AuthOk, timeout: -1 } }),
        /authenticate: timeout/,
      ],
      [
        'a negative auth.reauthTimeout (reauthOnExpiry)',
        create({ token: 'x', auth: { message: () => ({}), ack: AuthOk, expired: AuthExpired, reauthTimeout: -1 } }),
        /reauthOnExpiry: timeout/,
      ],
      ['a negative heartbeat.timeout (heartbeat)', create({ heartbeat: { timeout: -1, ping: () => ({}) } }), /heartbeat: timeout/],
      ['a negative retry.maxAttempts (retryWithBackoff)', create({ retry: { maxAttempts: -1 } }), /retryWithBackoff: maxAttempts/],
      ['a negative maxFrameBytes (fromWebSocket)', create({ maxFrameBytes: -1 }), /maxFrameBytes/],
      ['a negative resume.maxUnobserved', create({ resume: { idOf: () => 1, maxUnobserved: -1 } }), /resume\.maxUnobserved/],
      ['a fractional resume.maxUnobserved', create({ resume: { idOf: () => 1, maxUnobserved: 1.5 } }), /resume\.maxUnobserved/],
      ['a plain ws:// URL to another machine (fromWebSocket)', create({ url: 'ws://chat.example.com' }), /url is plain ws:\/\//],
    ]);
  });
});

describe('durations past the longest timer no longer fire at once', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    // Fake timers reproduce the runtime rule: a delay over 2^31 - 1 ms becomes 1 ms.
    clock = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => clock.restore());

  const scripted = (script: () => Observable<ServerAction>) => {
    const { WebSocketCtor, sockets } = scriptedWebSocket(asyncScheduler, script);
    return { source$: fromWebSocket('ws://gateway.localhost', { WebSocketCtor }), sockets };
  };

  it('waitForOpen(Infinity) waits forever instead of timing out after 1 ms', () => {
    const { source$ } = scripted(() => NEVER);
    const errors: unknown[] = [];
    const subscription = source$.pipe(waitForOpen(Infinity)).subscribe({ error: (error: unknown) => errors.push(error) });
    clock.tick(60_000);
    expect(errors).to.deep.equal([]);
    subscription.unsubscribe();
    // and a finite one still fires
    const finite = source$.pipe(waitForOpen(100)).subscribe({ error: (error: unknown) => errors.push(error) });
    clock.tick(100);
    expect(errors[0]).to.be.instanceOf(ConnectTimeoutError);
    finite.unsubscribe();
  });

  it('reauthOnExpiry with a token valid for 60 days refreshes once, near its expiry, not in a loop every ms', () => {
    const days60 = 60 * 24 * 3600 * 1000;
    const { source$, sockets } = scripted(() => from([serverOpen(), serverFrame({ type: 'auth_ok' })]));
    const events: string[] = [];
    const subscription = source$
      .pipe(
        authenticate({ ...authConfig({ timeout: 0 }), expiresAt: () => Date.now() + days60 }),
        reauthOnExpiry({ expired: AuthExpired, refreshBefore: 1000 }),
      )
      .subscribe((event: SocketEvent) => events.push(event.type));
    clock.tick(10);
    expect(events).to.deep.equal(['connecting', 'open', 'authenticated']);
    clock.tick(days60 - 1000 - 20);
    expect(events).to.deep.equal(['connecting', 'open', 'authenticated']);
    clock.tick(20);
    expect(events).to.deep.equal(['connecting', 'open', 'authenticated', 'reauthenticating']);
    expect(sockets[0]!.sentValues()).to.have.length(2); // the first auth frame and one refresh
    subscription.unsubscribe();
  });
});
