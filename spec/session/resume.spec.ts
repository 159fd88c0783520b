import { expect } from 'chai';
import * as sinon from 'sinon';
import * as t from 'io-ts';
import { TestScheduler } from 'rxjs/testing';
import { ResumeTracker } from '../../lib/session/resume.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { ack, AuthExpired, msg, Msg, scriptedSession, sentBy, states, timeline, TOKEN } from './session-fixtures.js';

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

  describe('messages that arrive while messages$ has no subscriber', () => {
    let testScheduler: TestScheduler;
    let warn: sinon.SinonStub;
    beforeEach(() => {
      testScheduler = new TestScheduler(observableMatcher);
      warn = sinon.stub(console, 'warn');
    });
    afterEach(() => warn.restore());

    const show = (value: Msg) => `${value.id}`;

    it('go to the next subscriber during the grace period (a route change loses nothing)', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          () => cold('-o-a1-2-3-4', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3), 4: msg(4) }),
          { resume: { idOf }, grace: 20 },
        );
        const first = timeline(testScheduler, session.messages$, show);
        testScheduler.schedule(() => first.stop(), 5); // the first component leaves after message 1
        let second: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (second = timeline(testScheduler, session.messages$, show)), 9); // the next one arrives
        testScheduler.schedule(() => session.close(), 30);
        testScheduler.flush();
        expect(first.lines).to.deep.equal(['4 1']);
        expect(second!.lines).to.deep.equal(['9 2', '9 3', '10 4', '30 complete']);
        expect(sockets).to.have.length(1); // within grace: the same socket
        expect(warn.called).to.equal(false);
      });
    });

    it('go to a subscriber that comes after the socket closed, before what the resumed connect replays', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a1-2-3', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3) })
              : cold('-o-a4', { o: serverOpen(), a: ack, 4: msg(4) }),
          { resume: { idOf }, grace: 2 },
        );
        const first = timeline(testScheduler, session.messages$, show);
        testScheduler.schedule(() => first.stop(), 5); // grace ends at 7: socket closed; 2 arrived at 6
        let later: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (later = timeline(testScheduler, session.messages$, show)), 20);
        testScheduler.schedule(() => session.close(), 40);
        testScheduler.flush();
        expect(first.lines).to.deep.equal(['4 1']);
        expect(later!.lines).to.deep.equal(['20 2', '24 4', '40 complete']);
        expect(sentBy(sockets[1])).to.deep.equal([{ ...auth, resumeFrom: 2 }]);
      });
    });

    it('go to the first subscriber when a send opened the socket before anyone subscribed', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(
          testScheduler,
          () => cold('-o-a12--3', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3) }),
          { resume: { idOf } },
        );
        session.send({ type: 'send', clientId: 'c1', text: 'hello' }); // holds the socket open; no app subscriber yet
        let reader: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (reader = timeline(testScheduler, session.messages$, show)), 7);
        testScheduler.schedule(() => session.close(), 20);
        testScheduler.flush();
        expect(reader!.lines).to.deep.equal(['7 1', '7 2', '8 3', '20 complete']);
      });
    });

    it('are kept up to maxUnobserved, the oldest dropped past it with one warning that holds no message', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(
          testScheduler,
          () => cold('-o-a1234', { o: serverOpen(), a: ack, 1: msg(1, 'secret-1'), 2: msg(2), 3: msg(3), 4: msg(4) }),
          { resume: { idOf, maxUnobserved: 2 }, grace: 20 },
        );
        const first = timeline(testScheduler, session.messages$, show);
        testScheduler.schedule(() => first.stop(), 3); // leaves before any message
        let second: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (second = timeline(testScheduler, session.messages$, show)), 10);
        testScheduler.schedule(() => session.close(), 15);
        testScheduler.flush();
        expect(second!.lines).to.deep.equal(['10 3', '10 4', '15 complete']);
        expect(warn.callCount).to.equal(1);
        expect(String(warn.firstCall.args[0])).to.match(/resume\.maxUnobserved/);
        expect(String(warn.firstCall.args[0])).not.to.match(/secret-1/);
      });
    });

    it('close() from the handler of a kept message opens no socket and completes the subscriber', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          () => cold('-o-a1-2-3', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3) }),
          { resume: { idOf }, grace: 2 },
        );
        const first = session.messages$.subscribe();
        testScheduler.schedule(() => first.unsubscribe(), 5); // 2 is kept at 6; the grace ends at 7: socket closed
        const lines: string[] = [];
        testScheduler.schedule(() => {
          session.messages$.subscribe({
            next: (value) => {
              lines.push(`${testScheduler.now()} ${value.id}`);
              if (value.id === 2) session.close(); // a "logout" message
            },
            complete: () => lines.push(`${testScheduler.now()} complete`),
          });
        }, 20);
        testScheduler.flush();
        expect(lines).to.deep.equal(['20 2', '20 complete']);
        expect(sockets).to.have.length(1);
      });
    });

    it('all go to the subscriber they are handed to, even when its handler subscribes another one', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(
          testScheduler,
          () => cold('-o-a1-2-3-4', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3), 4: msg(4) }),
          { resume: { idOf }, grace: 20 },
        );
        const first = session.messages$.subscribe();
        testScheduler.schedule(() => first.unsubscribe(), 5); // 2 and 3 are kept
        const parent: string[] = [];
        const child: string[] = [];
        testScheduler.schedule(() => {
          session.messages$.subscribe((value) => {
            parent.push(`${testScheduler.now()} ${value.id}`);
            // a component that renders a child on the first message, the child subscribing too
            if (value.id === 2) session.messages$.subscribe((next) => child.push(`${testScheduler.now()} ${next.id}`));
          });
        }, 9);
        testScheduler.schedule(() => session.close(), 30);
        testScheduler.flush();
        expect(parent).to.deep.equal(['9 2', '9 3', '10 4']);
        expect(child).to.deep.equal(['10 4']);
      });
    });

    it('are not kept without resume: a hot stream, as with rxjs share()', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(
          testScheduler,
          () => cold('-o-a1-2-3', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), 3: msg(3) }),
          {
            grace: 20,
          },
        );
        const first = timeline(testScheduler, session.messages$, show);
        testScheduler.schedule(() => first.stop(), 5);
        let second: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (second = timeline(testScheduler, session.messages$, show)), 7);
        testScheduler.schedule(() => session.close(), 15);
        testScheduler.flush();
        expect(second!.lines).to.deep.equal(['8 3', '15 complete']);
      });
    });

    it('are forgotten by close(): a later subscriber only completes', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a1-2', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2) }), {
          resume: { idOf },
          grace: 20,
        });
        const first = timeline(testScheduler, session.messages$, show);
        testScheduler.schedule(() => first.stop(), 5);
        testScheduler.schedule(() => session.close(), 8);
        let later: ReturnType<typeof timeline<Msg>> | undefined;
        testScheduler.schedule(() => (later = timeline(testScheduler, session.messages$, show)), 10);
        testScheduler.flush();
        expect(later!.lines).to.deep.equal(['10 complete']);
      });
    });
  });
});
