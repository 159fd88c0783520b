import { expect } from 'chai';
import * as t from 'io-ts';
import { TestScheduler } from 'rxjs/testing';
import { ResumeTracker } from '../../lib/session/resume.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { AuthExpired, msg, Msg, scriptedSession, sentBy, states, timeline, TOKEN } from './session-fixtures.js';

const auth = { type: 'auth', token: TOKEN };
const AuthOkAt = t.intersection([t.type({ type: t.literal('auth_ok') }), t.partial({ lastId: t.number })]);
const ackAt = (lastId?: number) => serverFrame(lastId === undefined ? { type: 'auth_ok' } : { type: 'auth_ok', lastId });
const fromAck = (ack: unknown) => (AuthOkAt.is(ack) ? ack.lastId : undefined);
const idOf = (message: Msg) => message.id;
const message = (id: number) => ({ type: 'message', id, text: `m${id}` });

describe('resume', () => {
  describe('ResumeTracker', () => {
    it('has no position until a message, from, or an ack sets one; a known position is never moved by an ack', () => {
      const tracker = new ResumeTracker<Msg, number>({ idOf, fromAck });
      expect(tracker.lastId).to.equal(undefined);
      tracker.adoptAck({ type: 'auth_ok' }); // an ack without a position leaves none
      expect(tracker.lastId).to.equal(undefined);
      tracker.adoptAck({ type: 'auth_ok', lastId: 4 });
      expect(tracker.lastId).to.equal(4);
      tracker.adoptAck({ type: 'auth_ok', lastId: 9 });
      expect(tracker.lastId).to.equal(4);
      expect(tracker.accept({ type: 'message', id: 5, text: '' })).to.equal(true);
      expect(tracker.lastId).to.equal(5);

      const persisted = new ResumeTracker<Msg, number>({ idOf, fromAck, from: 2 });
      persisted.adoptAck({ type: 'auth_ok', lastId: 9 });
      expect(persisted.lastId).to.equal(2);

      const withoutFromAck = new ResumeTracker<Msg, number>({ idOf });
      withoutFromAck.adoptAck({ type: 'auth_ok', lastId: 9 });
      expect(withoutFromAck.lastId).to.equal(undefined);
    });
  });

  describe('connect({ resume: { fromAck } })', () => {
    let testScheduler: TestScheduler;
    beforeEach(() => {
      testScheduler = new TestScheduler(observableMatcher);
    });

    it('takes the position from the first ack, so a drop before any message still resumes from it', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a--c', { o: serverOpen(), a: ackAt(7), c: serverClose(1006) })
              : cold('-o-a89', { o: serverOpen(), a: ackAt(9), 8: msg(8), 9: msg(9) }),
          { resume: { idOf, fromAck } },
        );
        // dropped at 6, reconnect after 10 ms: the second socket opens at 17 and is acked at 19
        expectObservable(session.messages$, '^-------------------------!').toBe('--------------------89', { 8: message(8), 9: message(9) });
        testScheduler.flush();
        expect(sentBy(sockets[0])).to.deep.equal([auth]);
        expect(sentBy(sockets[1])).to.deep.equal([{ ...auth, resumeFrom: 7 }]);
      });
    });

    it('without fromAck, the same drop asks for no replay (the loss fromAck prevents)', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a--c', { o: serverOpen(), a: ackAt(7), c: serverClose(1006) })
              : cold('-o-a', { o: serverOpen(), a: ackAt(9) }),
          { resume: { idOf } },
        );
        session.messages$.subscribe();
        testScheduler.schedule(() => session.close(), 30);
        testScheduler.flush();
        expect(sentBy(sockets[1])).to.deep.equal([auth]);
      });
    });

    it('lets the messages after the ack move the position past it', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-(a5)6-c', { o: serverOpen(), a: ackAt(4), 5: msg(5), 6: msg(6), c: serverClose(1006) })
              : cold('-o-a', { o: serverOpen(), a: ackAt(6) }),
          { resume: { idOf, fromAck } },
        );
        const seen: number[] = [];
        session.messages$.subscribe((value) => seen.push(value.id));
        testScheduler.schedule(() => session.close(), 40);
        testScheduler.flush();
        expect(seen).to.deep.equal([5, 6]);
        expect(sentBy(sockets[1])).to.deep.equal([{ ...auth, resumeFrom: 6 }]);
      });
    });

    it('never lets an ack move a known position: from, or an id delivered before the drop', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) => cold(index === 0 ? '-o-a-c' : '-o-a3-c', { o: serverOpen(), a: ackAt(10 + index), 3: msg(3), c: serverClose(1006) }),
          { resume: { idOf, fromAck, from: 2 } },
        );
        session.messages$.subscribe();
        testScheduler.schedule(() => session.close(), 60);
        testScheduler.flush();
        expect(sentBy(sockets[0])).to.deep.equal([{ ...auth, resumeFrom: 2 }]);
        expect(sentBy(sockets[1])).to.deep.equal([{ ...auth, resumeFrom: 2 }]);
        expect(sentBy(sockets[2])).to.deep.equal([{ ...auth, resumeFrom: 3 }]);
      });
    });

    it('does not read the ack of a re-auth on the same socket', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a-e-k-c', {
                  o: serverOpen(),
                  a: ackAt(),
                  e: serverFrame({ type: 'auth_expired' }),
                  k: ackAt(5),
                  c: serverClose(1006),
                })
              : index === 1
                ? cold('-o-a-c', { o: serverOpen(), a: ackAt(8), c: serverClose(1006) })
                : cold('-o-a', { o: serverOpen(), a: ackAt(9) }),
          {
            resume: { idOf, fromAck },
            auth: {
              message: (token, { lastId }) =>
                lastId === undefined ? { type: 'auth', token } : { type: 'auth', token, resumeFrom: lastId },
              ack: AuthOkAt,
              expired: AuthExpired,
            },
          },
        );
        const log = timeline(testScheduler, states(session));
        session.messages$.subscribe();
        testScheduler.schedule(() => session.close(), 100);
        testScheduler.flush();
        expect(log.lines).to.include('5 reauthenticating:expired');
        // the first ack had no position and the re-auth's ack is not read: the reconnect asks for no replay
        expect(sentBy(sockets[0])).to.deep.equal([auth, auth]);
        expect(sentBy(sockets[1])).to.deep.equal([auth]);
        // ...but the next connect's first ack is: the drop after it resumes from 8
        expect(sentBy(sockets[2])).to.deep.equal([{ ...auth, resumeFrom: 8 }]);
        log.stop();
      });
    });

    it('ends the session with the error when fromAck throws', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const boom = new Error('bad ack');
        const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ackAt(1) }), {
          resume: {
            idOf,
            fromAck: () => {
              throw boom;
            },
          },
        });
        expectObservable(session.messages$).toBe('---#', undefined, boom);
        testScheduler.flush();
        expect(session.state).to.deep.include({ type: 'closed', error: boom });
      });
    });
  });
});
