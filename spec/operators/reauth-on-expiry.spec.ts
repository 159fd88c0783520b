import { expect } from 'chai';
import * as t from 'io-ts';
import { map, NEVER, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AuthClosedError, AuthRejectedError, AuthTimeoutError } from '../../lib/errors.js';
import { authenticate, type AuthenticateConfig } from '../../lib/operators/authenticate.js';
import { reauthOnExpiry } from '../../lib/operators/reauth-on-expiry.js';
import type { SocketEvent } from '../../lib/socket-event.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { describeEvent, scriptedSource } from '../helpers/pipeline-marbles.js';

const AuthOk = t.type({ type: t.literal('auth_ok') });
const AuthError = t.type({ type: t.literal('auth_error'), reason: t.string });
const AuthExpired = t.type({ type: t.literal('auth_expired') });
const frames = {
  o: serverOpen(),
  a: serverFrame({ type: 'auth_ok' }),
  e: serverFrame({ type: 'auth_expired' }),
  r: serverFrame({ type: 'auth_error', reason: 'revoked' }),
  h: serverFrame({ type: 'message' }),
  c: serverClose(4401, 'token expired'),
};
const names = { c: 'connecting', o: 'open', A: 'authed', R: 'reauth:expired', F: 'reauth:refresh', B: 'reauthed' };

function auth(tokens: string[], overrides: Partial<AuthenticateConfig> = {}) {
  let n = 0;
  return authenticate({
    token: () => tokens[n++] ?? 'exhausted',
    message: (token) => ({ type: 'auth', token }),
    ack: AuthOk,
    reject: AuthError,
    timeout: 4,
    ...overrides,
  });
}

describe('reauthOnExpiry', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('re-authenticates on the same socket with a fresh token when the server says it expired', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a--e-a', frames));
      const result$ = source$.pipe(auth(['first', 'second']), reauthOnExpiry({ expired: AuthExpired }), map(describeEvent));
      expectObservable(result$, '^----------!').toBe('co-A--R-B', names);
      flush();
      expect(sockets).to.have.length(1);
      expect(sockets[0]!.sent.map((frame) => [frame.at, JSON.parse(frame.data).token])).to.deep.equal([
        [1, 'first'],
        [6, 'second'],
      ]);
    });
  });

  it('holds app frames during the re-auth and writes them after the new ack', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a--e-a', frames));
      source$
        .pipe(
          auth(['first', 'second']),
          reauthOnExpiry({ expired: AuthExpired }),
          tap((event: SocketEvent) => {
            if (event.type === 'reauthenticating') event.connection.send({ type: 'send', text: 'during' });
          }),
        )
        .subscribe({ error: () => undefined });
      testScheduler.schedule(() => sockets[0]!.close(), 10);
      flush();
      expect(sockets[0]!.sent.map((frame) => [frame.at, JSON.parse(frame.data).type])).to.deep.equal([
        [1, 'auth'],
        [6, 'auth'],
        [8, 'send'],
      ]);
    });
  });

  it('ignores a second expiry notice while a re-auth is in flight', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a--ee-a', frames));
      source$.pipe(auth(['first', 'second', 'third']), reauthOnExpiry({ expired: AuthExpired })).subscribe({ error: () => undefined });
      testScheduler.schedule(() => sockets[0]!.close(), 12);
      flush();
      expect(sockets[0]!.sent).to.have.length(2);
    });
  });

  it('errors with AuthTimeoutError (reauthenticating) when the new ack does not come in time', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-a--e', frames));
      const result$ = source$.pipe(auth(['first', 'second']), reauthOnExpiry({ expired: AuthExpired, timeout: 3 }), map(describeEvent));
      expectObservable(result$).toBe('co-A--R--#', names, new AuthTimeoutError(3, 'reauthenticating'));
    });
  });

  it('errors with AuthRejectedError when the server rejects the new token', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-a--e-r', frames));
      const result$ = source$.pipe(auth(['first', 'second']), reauthOnExpiry({ expired: AuthExpired }), map(describeEvent));
      expectObservable(result$).toBe('co-A--R-#', names, new AuthRejectedError('revoked', 'reauthenticating'));
    });
  });

  it('diagnoses a close after the re-auth frame as a rejected re-auth', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-a--e--c', frames));
      const result$ = source$.pipe(auth(['first', 'second']), reauthOnExpiry({ expired: AuthExpired, timeout: 10 }), map(describeEvent));
      expectObservable(result$).toBe('co-A--R--#', names, new AuthClosedError(4401, 'token expired', true, 'reauthenticating', 8, 3));
    });
  });

  it('refreshes proactively refreshBefore ms before the token expires', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a--------a', frames));
      // every token expires 15 ms (virtual) after it is issued
      const result$ = source$.pipe(
        auth(['first', 'second'], { expiresAt: () => testScheduler.now() + 15 }),
        reauthOnExpiry({ expired: AuthExpired, refreshBefore: 5 }),
        map(describeEvent),
      );
      // first token sent at 1, expires at 16, refresh due at 11; its ack at 12
      expectObservable(result$, '^--------------!').toBe('co-A-------FB', names);
      flush();
      expect(sockets[0]!.sent.map((frame) => frame.at)).to.deep.equal([1, 11]);
    });
  });

  it('refreshes at once when the token is already inside the refresh window', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      const result$ = source$.pipe(
        auth(['first'], { expiresAt: () => 0 }),
        reauthOnExpiry({ expired: AuthExpired, refreshBefore: 5 }),
        map(describeEvent),
      );
      expectObservable(result$, '^----!').toBe('co-(AF)', names);
    });
  });

  it('uses its own token provider when given one', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a--e-a', frames));
      source$
        .pipe(auth(['first']), reauthOnExpiry({ expired: AuthExpired, token: () => 'from-reauth' }))
        .subscribe({ error: () => undefined });
      testScheduler.schedule(() => sockets[0]!.close(), 10);
      flush();
      expect(sockets[0]!.sentValues()).to.deep.equal([
        { type: 'auth', token: 'first' },
        { type: 'auth', token: 'from-reauth' },
      ]);
    });
  });

  it('needs authenticate upstream, and says so', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-e', frames));
      const result$ = source$.pipe(reauthOnExpiry({ expired: AuthExpired }), map(describeEvent));
      expectObservable(result$).toBe('co-#', names, new TypeError('reauthOnExpiry needs authenticate() upstream in the same pipe'));
    });
  });

  it('cancels the refresh timer and the re-auth deadline on early unsubscribe', () => {
    const provider = (tokens: string[]) => {
      const calls: number[] = [];
      return { calls, token: () => (calls.push(testScheduler.now()), tokens[calls.length - 1] ?? 'exhausted') };
    };
    // Left at 5, before the refresh due at 9 (the token sent at 1 expires at 11, refreshBefore 2).
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { calls, token } = provider(['first', 'second']);
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      const result$ = source$.pipe(
        auth([], { token, expiresAt: () => testScheduler.now() + 10 }),
        reauthOnExpiry({ expired: AuthExpired, refreshBefore: 2 }),
        map(describeEvent),
      );
      expectObservable(result$, '^----!').toBe('co-A', names);
      flush();
      expect(testScheduler.frame, 'virtual time ran no further than the unsubscribe (no refresh timer at 9)').to.equal(5);
      expect(calls, 'token provider calls (frame of each)').to.deep.equal([0]);
      expect(sockets[0]!.sent).to.have.length(1);
    });
    // Left at 10, during the refresh started at 9: its deadline (timeout 4) at 13 must not fire.
    testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { calls, token } = provider(['first', 'second']);
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      const result$ = source$.pipe(
        auth([], { token, expiresAt: () => testScheduler.now() + 10 }),
        reauthOnExpiry({ expired: AuthExpired, refreshBefore: 2 }),
        map(describeEvent),
      );
      expectObservable(result$, '^---------!').toBe('co-A-----F', names);
      flush();
      expect(testScheduler.frame, 'virtual time ran no further than the unsubscribe (no re-auth deadline at 13)').to.equal(10);
      expect(calls, 'token provider calls (frame of each)').to.deep.equal([0, 9]);
      expect(sockets[0]!.sentValues()).to.deep.equal([
        { type: 'auth', token: 'first' },
        { type: 'auth', token: 'second' },
      ]);
    });
  });

  it('passes source errors and never-ending sources through untouched', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const failure = new Error('upstream');
      expectObservable(cold<SocketEvent>('--#', undefined, failure).pipe(reauthOnExpiry({ expired: AuthExpired }))).toBe(
        '--#',
        undefined,
        failure,
      );
      expectObservable(NEVER.pipe(reauthOnExpiry({ expired: AuthExpired })), '^--!').toBe('---');
    });
  });

  it('rejects nonsense configuration when created, naming the option', () => {
    expect(() => reauthOnExpiry({ expired: 'x' as never })).to.throw(TypeError, /expired/);
    expect(() => reauthOnExpiry({ expired: AuthExpired, timeout: -1 })).to.throw(TypeError, /timeout/);
    expect(() => reauthOnExpiry({ expired: AuthExpired, refreshBefore: NaN })).to.throw(TypeError, /refreshBefore/);
  });
});
