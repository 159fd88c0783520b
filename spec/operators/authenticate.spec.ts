import { expect } from 'chai';
import { inspect } from 'node:util';
import * as t from 'io-ts';
import { map, NEVER, of, tap, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AuthClosedError, AuthRejectedError, AuthTimeoutError, ConnectionClosedError, TokenProviderError } from '../../lib/errors.js';
import { authenticate, type AuthenticateConfig } from '../../lib/operators/authenticate.js';
import type { SocketEvent } from '../../lib/socket-event.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { describeEvent, scriptedSource } from '../helpers/pipeline-marbles.js';

const AuthOk = t.type({ type: t.literal('auth_ok') });
const AuthError = t.type({ type: t.literal('auth_error'), reason: t.string });
const TOKEN = 'canary-token-3f9a';

const config = (overrides: Partial<AuthenticateConfig> = {}): AuthenticateConfig => ({
  token: TOKEN,
  message: (token) => ({ type: 'auth', token }),
  ack: AuthOk,
  reject: AuthError,
  timeout: 5,
  ...overrides,
});

const ack = serverFrame({ type: 'auth_ok' });
const hello = serverFrame({ type: 'message', text: 'hi' });

describe('authenticate', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('sends the auth frame first, right after open, and emits authenticated on the ack', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o--a', { o: serverOpen(), a: ack }));
      const result$ = source$.pipe(authenticate(config({ scheduler: testScheduler })), map(describeEvent));
      expectObservable(result$, '^------!').toBe('co--A', { c: 'connecting', o: 'open', A: 'authed' });
      flush();
      expect(sockets[0]!.sent).to.deep.equal([{ at: 1, data: JSON.stringify({ type: 'auth', token: TOKEN }) }]);
    });
  });

  it('holds app frames sent before the ack and writes them after the auth frame, in order', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o--a', { o: serverOpen(), a: ack }));
      source$
        .pipe(
          authenticate(config()),
          tap((event: SocketEvent) => {
            if (event.type === 'connecting') event.connection.send({ n: 1 });
            if (event.type === 'open') event.connection.send({ n: 2 });
          }),
        )
        .subscribe({ error: () => undefined });
      flush();
      expect(sockets[0]!.sent.map((frame) => [frame.at, JSON.parse(frame.data)])).to.deep.equal([
        [1, { type: 'auth', token: TOKEN }],
        [4, { n: 1 }],
        [4, { n: 2 }],
      ]);
    });
  });

  it('holds inbound app frames until the ack, releases them in order, and consumes the ack', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-oh-a-----h', { o: serverOpen(), a: ack, h: hello }));
      const result$ = source$.pipe(authenticate(config()), map(describeEvent));
      const h = `frame:${JSON.stringify({ type: 'message', text: 'hi' })}`;
      expectObservable(result$, '^-----------!').toBe('co--(AH)--H', { c: 'connecting', o: 'open', A: 'authed', H: h });
    });
  });

  it('errors with AuthTimeoutError when no ack arrives within the deadline, and closes the socket', () => {
    testScheduler.run(({ cold, expectObservable, time, flush }) => {
      const deadline = time('-----|');
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const result$ = source$.pipe(authenticate(config({ timeout: deadline })), map(describeEvent));
      expectObservable(result$).toBe('co----#', { c: 'connecting', o: 'open' }, new AuthTimeoutError(5, 'authenticating'));
      flush();
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 6, code: 1000 });
    });
  });

  it('meets the deadline when the ack comes on its last frame', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o---a', { o: serverOpen(), a: ack }));
      const result$ = source$.pipe(authenticate(config({ timeout: 5 })), map(describeEvent));
      expectObservable(result$, '^--------!').toBe('co---A', { c: 'connecting', o: 'open', A: 'authed' });
    });
  });

  it('turns an explicit reject frame into AuthRejectedError with the server reason', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () =>
        cold('-o-r', { o: serverOpen(), r: serverFrame({ type: 'auth_error', reason: 'missing scope' }) }),
      );
      const result$ = source$.pipe(authenticate(config()), map(describeEvent));
      expectObservable(result$).toBe('co-#', { c: 'connecting', o: 'open' }, new AuthRejectedError('missing scope', 'authenticating'));
    });
  });

  it('keeps a token the server echoes in its reject or close reason out of the error, also where the reason is cut', () => {
    const token = 'f3a1c9e07b2d4e5f8a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f';
    const padding = 'The access token presented could not be verified by the identity provider: '.repeat(2);
    const errors: Error[] = [];
    const run = (script: ReturnType<typeof serverFrame>, tokenSource: AuthenticateConfig['token'], message = config().message) =>
      testScheduler.run(({ cold }) => {
        const { source$ } = scriptedSource(testScheduler, () => cold('-o-r', { o: serverOpen(), r: script }));
        source$.pipe(authenticate(config({ token: tokenSource, message }))).subscribe({ error: (error: Error) => errors.push(error) });
      });
    // The token starts before the 200th character of the reason: a cut there must not leave its start.
    run(serverFrame({ type: 'auth_error', reason: `${padding}${token} (expired)` }), token);
    run(serverClose(4000, `bad token ${token.slice(0, 100)}`), token);
    // A token object: its long string fields are secrets too.
    run(serverFrame({ type: 'auth_error', reason: `no session for ${token}` }), { jwt: token, kind: 'guest' } as never, (value) => ({
      type: 'auth',
      token: (value as unknown as { jwt: string }).jwt,
    }));
    expect(errors.map((error) => error.name)).to.deep.equal(['AuthRejectedError', 'AuthClosedError', 'AuthRejectedError']);
    for (const error of errors) {
      const shown = `${error.message} ${JSON.stringify(error)} ${inspect(error)}`;
      for (let start = 0; start + 8 <= token.length; start++) expect(shown).not.to.include(token.slice(start, start + 8));
      expect(shown).to.include('***');
    }
  });

  it('diagnoses a silent close 1000 after the auth frame as a rejected auth payload', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o--c', { o: serverOpen(), c: serverClose(1000, '') }));
      const result$ = source$.pipe(authenticate(config()), map(describeEvent));
      const expected = new AuthClosedError(1000, '', true, 'authenticating', 3, 3);
      expect(expected.message).to.equal(
        'the server closed the connection (1000, no reason) 3 ms after the auth frame and before any ack: ' +
          'it most likely rejected the auth payload (schema, token or scopes)',
      );
      expectObservable(result$).toBe('co--#', { c: 'connecting', o: 'open' }, expected);
    });
  });

  it('keeps a plain ConnectionClosedError for a close after the auth frame that is no verdict on it (a network drop, a server going away or restarting)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      for (const [code, wasClean] of [
        [1006, false],
        [1001, true],
        [1012, true],
        [1013, true],
      ] as const) {
        const { source$ } = scriptedSource(testScheduler, () => cold('-o--c', { o: serverOpen(), c: serverClose(code, '', wasClean) }));
        expectObservable(source$.pipe(authenticate(config()), map(describeEvent))).toBe(
          'co--#',
          { c: 'connecting', o: 'open' },
          new ConnectionClosedError(code, '', wasClean, 'authenticating', 3),
        );
      }
    });
  });

  it('keeps a plain ConnectionClosedError for a close before the socket opened', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('--c', { c: serverClose(1006) }));
      const result$ = source$.pipe(authenticate(config()), map(describeEvent));
      expectObservable(result$).toBe('c-#', { c: 'connecting' }, new ConnectionClosedError(1006, '', false, 'connecting', undefined));
    });
  });

  it('fetches the token while connecting and, if it is late, sends the auth frame when it arrives', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-------a', { o: serverOpen(), a: ack }));
      const token = () => cold('---(t|)', { t: 'late-token' });
      source$.pipe(authenticate(config({ token, timeout: 10 }))).subscribe({ error: () => undefined });
      flush();
      expect(sockets[0]!.sent.map((frame) => frame.at)).to.deep.equal([3]);
    });
  });

  it('asks the token provider again on every subscription', () => {
    testScheduler.run(({ cold, flush }) => {
      let calls = 0;
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      const authed$ = source$.pipe(authenticate(config({ token: () => `token-${++calls}` })));
      authed$.subscribe({ error: () => undefined }).unsubscribe();
      authed$.subscribe({ error: () => undefined });
      flush();
      expect(calls).to.equal(2);
      expect(sockets[1]!.sentValues()).to.deep.equal([{ type: 'auth', token: 'token-2' }]);
    });
  });

  it('wraps a failing token provider in TokenProviderError', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const token = () => throwError(() => new Error('token endpoint 503'));
      const result$ = source$.pipe(authenticate(config({ token })), map(describeEvent));
      expectObservable(result$).toBe(
        '(c#)',
        { c: 'connecting' },
        new TokenProviderError('authenticating', new Error('token endpoint 503')),
      );
    });
  });

  it("clips a token provider's long error message (it may carry a whole response body)", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const body = 'x'.repeat(10_000);
      const token = () => throwError(() => new Error(`token endpoint 503: ${body}`));
      const result$ = source$.pipe(authenticate(config({ token })), map(describeEvent));
      // 500 characters of 'Error: token endpoint 503: xxx...', then the cut mark.
      const summary = `Error: token endpoint 503: ${body}`.slice(0, 500);
      const expected = Object.assign(new Error(`the token provider failed (authenticating): ${summary}...`), {
        name: 'TokenProviderError',
      });
      expectObservable(result$).toBe('(c#)', { c: 'connecting' }, expected);
    });
  });

  it('reports a token provider that completes without a token', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const result$ = source$.pipe(authenticate(config({ token: () => of<string>() })), map(describeEvent));
      expectObservable(result$).toBe(
        '(c#)',
        { c: 'connecting' },
        new TokenProviderError('authenticating', new Error('it completed without a token')),
      );
    });
  });

  it('ends the stream with the error of a message builder that throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const message = () => {
        throw new RangeError('bad payload');
      };
      const result$ = source$.pipe(authenticate(config({ message })), map(describeEvent));
      expectObservable(result$).toBe('c(o#)', { c: 'connecting', o: 'open' }, new RangeError('bad payload'));
    });
  });

  it('tears everything down on early unsubscribe: the socket closes and no deadline fires', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-------a', { o: serverOpen(), a: ack }));
      const token = () => cold('----(t|)', { t: 'slow' });
      const result$ = source$.pipe(authenticate(config({ token, timeout: 3 })), map(describeEvent));
      expectObservable(result$, '^-!').toBe('co', { c: 'connecting', o: 'open' });
      flush();
      expect(sockets[0]!.sent).to.deep.equal([]);
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 2, code: 1000 });
    });
  });

  it('passes no value for a source that never emits, and errors pass through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(NEVER.pipe(authenticate(config())), '^--!').toBe('---');
      const failure = new Error('upstream');
      expectObservable(cold<SocketEvent>('--#', undefined, failure).pipe(authenticate(config()))).toBe('--#', undefined, failure);
    });
  });

  it('never puts the token in an error it builds (message, String, JSON, inspect)', () => {
    testScheduler.run(({ cold, flush }) => {
      const o = serverOpen();
      // Each script fails the auth after the auth frame (with the token) went out.
      const scripts = {
        timeout: cold('-o', { o }),
        rejected: cold('-o-r', {
          o,
          r: serverFrame({ type: 'auth_error', reason: 'invalid token', echo: { type: 'auth', token: TOKEN } }),
        }),
        'silent close 1000': cold('-o--c', { o, c: serverClose(1000, '') }),
        'close 4401': cold('-o--c', { o, c: serverClose(4401, 'unauthorized') }),
        'dropped (1006)': cold('-o--c', { o, c: serverClose(1006, '', false) }),
      };
      const errors: Record<string, unknown> = {};
      const sockets: Record<string, ReturnType<typeof scriptedSource>['sockets']> = {};
      for (const [name, script] of Object.entries(scripts)) {
        const scripted = scriptedSource(testScheduler, () => script);
        sockets[name] = scripted.sockets;
        scripted.source$.pipe(authenticate(config())).subscribe({ error: (error: unknown) => (errors[name] = error) });
      }
      flush();
      const names = (value: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(value).map(([key, error]) => [key, (error as Error).name]));
      expect(names(errors)).to.deep.equal({
        timeout: 'AuthTimeoutError',
        rejected: 'AuthRejectedError',
        'silent close 1000': 'AuthClosedError',
        'close 4401': 'AuthClosedError',
        'dropped (1006)': 'ConnectionClosedError',
      });
      for (const [name, [socket]] of Object.entries(sockets))
        expect(socket!.sentValues(), `${name}: the auth frame carried the token`).to.deep.equal([{ type: 'auth', token: TOKEN }]);
      for (const [name, error] of Object.entries(errors)) {
        const renderings = {
          message: (error as Error).message,
          String: String(error),
          JSON: JSON.stringify(error),
          inspect: inspect(error, { depth: 8 }),
        };
        for (const [how, text] of Object.entries(renderings)) expect(text, `${name} (${how})`).to.be.a('string').and.not.include(TOKEN);
      }
    });
  });

  it('accepts a Promise token provider (real time)', async () => {
    const { scriptedWebSocket } = await import('../../lib/testing/scripted-web-socket.js');
    const { fromWebSocket } = await import('../../lib/from-web-socket.js');
    const { asapScheduler, firstValueFrom, filter, of: ofValue, concatMap, delay } = await import('rxjs');
    const { WebSocketCtor, sockets } = scriptedWebSocket(asapScheduler, () =>
      ofValue(serverOpen(), ack).pipe(concatMap((action) => ofValue(action).pipe(delay(5)))),
    );
    const authed = await firstValueFrom(
      fromWebSocket('ws://gateway.localhost', { WebSocketCtor }).pipe(
        authenticate(config({ token: () => Promise.resolve('promised'), timeout: 1000 })),
        filter((event) => event.type === 'authenticated'),
      ),
    );
    expect(authed.type).to.equal('authenticated');
    expect(sockets[0]!.sentValues()).to.deep.equal([{ type: 'auth', token: 'promised' }]);
  });

  it('rejects nonsense configuration when created, naming the option', () => {
    expect(() => authenticate(config({ timeout: -1 }))).to.throw(TypeError, /timeout/);
    expect(() => authenticate(config({ ack: 42 as never }))).to.throw(TypeError, /ack/);
    expect(() => authenticate(config({ message: undefined as never }))).to.throw(TypeError, /message/);
    expect(() => authenticate(config({ token: undefined as never }))).to.throw(TypeError, /token/);
  });

  it('errors with what an ack matcher threw, instead of letting it escape the socket handler', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const broken = new Error('matcher bug');
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      const throwingAck = () => {
        throw broken;
      };
      const result$ = source$.pipe(authenticate(config({ ack: throwingAck })), map(describeEvent));
      expectObservable(result$).toBe('co-#', { c: 'connecting', o: 'open' }, broken);
    });
  });
});
