import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { SessionState } from '../../lib/session/session-state.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { ack, AuthExpired, AuthOk, scriptedSession, send } from './session-fixtures.js';

// Apps close sessions from inside their own handlers: a state$ subscriber that gives up on
// 'reconnecting', a component torn down while 'authenticating'. close() then runs while the
// session is still inside the code that emitted that state. Whatever the state, afterwards there
// must be no socket left open, no timer pending (flush stops right away), no token fetched for a
// connection that will never be used, and no error thrown.

const expired = serverFrame({ type: 'auth_expired' });

describe('connect: close() from inside a state$ handler', () => {
  // tokens: how many times the provider was asked by then. On 'connecting' the session's own
  // layers learn of the close only when the socket's subscribe call returns, after authenticate
  // has asked for the token it sends once the socket opens; the answer is dropped with its round.
  const cases: { state: SessionState['type']; closesAt: number; tokens: number }[] = [
    { state: 'connecting', closesAt: 0, tokens: 1 },
    { state: 'authenticating', closesAt: 1, tokens: 1 },
    { state: 'ready', closesAt: 3, tokens: 1 },
    { state: 'reauthenticating', closesAt: 5, tokens: 1 },
    { state: 'reconnecting', closesAt: 9, tokens: 2 },
  ];

  for (const { state, closesAt, tokens } of cases) {
    it(`on '${state}': closes every socket and leaves nothing scheduled`, () => {
      const testScheduler = new TestScheduler(observableMatcher);
      testScheduler.run(({ cold }) => {
        let tokenCalls = 0;
        // open at 1, ack at 3, expiry notice at 5, new ack at 7, drop at 9 (then a reconnect after 10)
        const { session, sockets } = scriptedSession(
          testScheduler,
          () => cold('-o-a-e-a-d', { o: serverOpen(), a: ack, e: expired, d: serverClose(1006) }),
          {
            token: () => `token-${++tokenCalls}`,
            auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk, expired: AuthExpired, timeout: 50 },
            heartbeat: { interval: 4, timeout: 100, ping: () => ({ type: 'ping' }) },
            expireAfter: 1000,
            grace: 1000,
          },
        );
        const seen: string[] = [];
        session.state$.subscribe((current) => {
          seen.push(current.type);
          if (current.type === state) session.close();
        });
        session.messages$.subscribe({ error: () => undefined });
        session.send(send('c-1'));
        testScheduler.flush();
        expect(seen, 'states seen').to.include(state);
        expect(seen.at(-1), 'last state').to.equal('closed');
        expect(testScheduler.now(), 'nothing left scheduled after the close').to.equal(closesAt);
        for (const [index, socket] of sockets.entries()) {
          expect(socket.readyState, `socket ${index} readyState`).to.equal(3);
        }
        expect(tokenCalls, 'token provider calls').to.equal(tokens);
      });
    });
  }
});
