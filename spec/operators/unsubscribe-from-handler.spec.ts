import { expect } from 'chai';
import * as t from 'io-ts';
import { takeWhile } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { authenticate } from '../../lib/operators/authenticate.js';
import { reauthOnExpiry } from '../../lib/operators/reauth-on-expiry.js';
import { retryWithBackoff } from '../../lib/operators/retry-with-backoff.js';
import type { SocketEvent } from '../../lib/socket-event.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { scriptedSource } from '../helpers/pipeline-marbles.js';

// Apps end sessions from inside event handlers: a state$ subscriber that calls close() on 'ready',
// a probe that stops once authenticated. The operator that emitted the event is then torn down
// while it is still inside next(); whatever it does after that call must not start a timer, fetch
// a token or open a socket. `takeWhile(..., true)` reproduces it: it passes the event on, then
// unsubscribes upstream before returning.

const AuthOk = t.type({ type: t.literal('auth_ok') });
const AuthExpired = t.type({ type: t.literal('auth_expired') });
const frames = { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), d: serverClose(1006) };

/** Passes events on up to and including the first that matches, then unsubscribes upstream. */
const until = (type: SocketEvent['type'], nth = 1) => {
  let seen = 0;
  return takeWhile<SocketEvent>((event) => !(event.type === type && ++seen === nth), true);
};

describe('operators when the consumer unsubscribes from inside an event handler', () => {
  let testScheduler: TestScheduler;
  let tokenCalls: number;
  const token = () => `token-${++tokenCalls}`;
  const auth = (expiresIn?: number) =>
    authenticate({
      token,
      message: (value) => ({ type: 'auth', token: value }),
      ack: AuthOk,
      timeout: 4,
      ...(expiresIn === undefined ? {} : { expiresAt: () => testScheduler.now() + expiresIn }),
    });

  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
    tokenCalls = 0;
  });

  it("authenticate fetches no token when the consumer leaves on 'connecting'", () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      source$.pipe(auth(), until('connecting')).subscribe();
      flush();
      expect(tokenCalls, 'token provider calls').to.equal(0);
      expect(sockets[0]!.sent).to.deep.equal([]);
    });
  });

  it("reauthOnExpiry starts no refresh timer when the consumer leaves on 'authenticated'", () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      source$.pipe(auth(10), reauthOnExpiry({ expired: AuthExpired, refreshBefore: 2 }), until('authenticated')).subscribe();
      flush();
      expect(tokenCalls, 'token provider calls').to.equal(1);
      expect(testScheduler.frame, 'virtual time ran no further than the ack (no refresh timer at 11)').to.equal(3);
      expect(sockets[0]!.sent).to.have.length(1);
    });
  });

  it("reauthOnExpiry fetches no token and throws nothing when the consumer leaves on a refresh's 'reauthenticating'", () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o-a', frames));
      source$.pipe(auth(10), reauthOnExpiry({ expired: AuthExpired, refreshBefore: 2 }), until('reauthenticating')).subscribe();
      expect(() => flush()).not.to.throw();
      expect(tokenCalls, 'token provider calls').to.equal(1);
      expect(sockets[0]!.sent).to.have.length(1);
    });
  });

  it("retryWithBackoff closes the new socket when the consumer leaves on a reconnect's 'connecting'", () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, (index) => cold(index === 0 ? '-o-a-d' : '-o-a', frames));
      source$.pipe(auth(), retryWithBackoff({ initialDelay: 10, jitter: 'none' }), until('connecting', 2)).subscribe();
      flush();
      expect(sockets, 'sockets opened').to.have.length(2);
      expect(sockets[1]!.closedByClient, 'the second socket was closed by the client').to.deep.include({ at: 15 });
      expect(sockets[1]!.sent, 'frames written on the second socket').to.deep.equal([]);
      // (authenticate upstream may still have asked for a token: it learns of the teardown only
      // once retryWithBackoff's subscribe call returns; the answer is dropped with its round.)
    });
  });
});
