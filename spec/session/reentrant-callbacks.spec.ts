import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { MAX_TIMER_MS } from '../../lib/timer-limit.js';
import { SendDroppedError, SessionClosedError } from '../../lib/session/errors.js';
import type { SendReceipt } from '../../lib/session/send-receipt.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { ack, scriptedSession, send, sentAt, sentBy, type Send } from './session-fixtures.js';

// The app's own callbacks (dropped$ and state$ handlers) run while the session is in the middle of
// something: a send that overflowed, a subscribe that emits 'connecting', a state being published.
// What they do there (send, close, leave) must leave the queue, the socket and state$ consistent.

const clientIds = (values: unknown[]) =>
  values.map((value) => (value as { clientId?: string; type: string }).clientId ?? (value as { type: string }).type);
const settle = async (receipt: SendReceipt) =>
  receipt.then(
    () => 'resolved',
    (error: unknown) => (error as Error).name,
  );

describe('connect: app callbacks that re-enter the session', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  describe("overflow 'drop-oldest'", () => {
    it('a dropped$ handler that closes the session: the send that overflowed is given up with SessionClosedError, nothing stays pending', async () => {
      let receipt!: SendReceipt;
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o'), { maxQueued: 1, overflow: 'drop-oldest', expireAfter: 100 });
        session.dropped$.subscribe(({ error }) => {
          if (error instanceof SendDroppedError) session.close();
        });
        session.send(send('a'));
        receipt = session.send(send('b')); // drops a; the handler closes
        testScheduler.flush();
        expect(session.pending).to.equal(0);
        expect(testScheduler.now(), 'no expiry timer left').to.equal(0);
      });
      expect(await settle(receipt)).to.equal('SessionClosedError');
    });

    it("a dropped$ handler's own send on the full queue is refused, not allowed to drop another (no cascade, bound kept, call order kept)", async () => {
      const notices: SendReceipt[] = [];
      let sockets!: ReturnType<typeof scriptedSession>['sockets'];
      testScheduler.run(({ cold }) => {
        const scripted = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), {
          maxQueued: 2,
          overflow: 'drop-oldest',
        });
        sockets = scripted.sockets;
        const { session } = scripted;
        session.dropped$.subscribe(({ message }) => notices.push(session.send(send(`notice-${(message as Send).clientId}`))));
        session.send(send('a'));
        session.send(send('b'));
        session.send(send('c')); // drops a
        expect(session.pending, 'within maxQueued').to.equal(2);
        testScheduler.flush();
      });
      expect(notices).to.have.length(1);
      expect(await settle(notices[0]!)).to.equal('SendQueueFullError');
      expect(clientIds(sentBy(sockets[0]).slice(1))).to.deep.equal(['b', 'c']);
    });

    it('gives up the oldest message never written, not one written before a reconnect that awaits its ack', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0 ? cold('-o-a--d', { o: serverOpen(), a: ack, d: serverClose(1006) }) : cold('--o-a', { o: serverOpen(), a: ack }),
          {
            maxQueued: 2,
            overflow: 'drop-oldest',
            retry: { initialDelay: 12, jitter: 'none' },
            sendAck: { keyOf: (message) => message.clientId, ackedKey: () => undefined },
          },
        );
        session.messages$.subscribe({ error: () => undefined });
        const dropped: string[] = [];
        session.dropped$.subscribe(({ message, error }) => dropped.push(`${(message as Send).clientId}:${error.name}`));
        testScheduler.schedule(() => {
          session.send(send('a')); // written on socket 0, never acknowledged
          session.send(send('b'));
        }, 4);
        testScheduler.schedule(() => {
          session.send(send('c')); // the new socket (created at 18) opens at 20: a and b wait again ahead
          session.send(send('d'));
          session.send(send('e')); // over maxQueued (2 never written): drops c, not a
        }, 19);
        testScheduler.schedule(() => session.close(), 40);
        testScheduler.flush();
        expect(dropped[0]).to.equal(`c:${SendDroppedError.name}`);
        expect(clientIds(sentBy(sockets[1]).slice(1))).to.deep.equal(['a', 'b', 'd', 'e']);
      });
    });
  });

  it("a state$ handler that sends on 'connecting' while the first send opens the socket: the socket is still released once all is written", () => {
    testScheduler.run(({ cold }) => {
      const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), { grace: 5 });
      let sentFromHandler = false;
      session.state$.subscribe((state) => {
        if (state.type === 'connecting' && !sentFromHandler) {
          sentFromHandler = true;
          session.send(send('hello'));
        }
      });
      session.send(send('first'));
      testScheduler.schedule(() => {
        expect(session.state.type, 'state at 100').to.equal('idle');
        expect(sockets[0]!.readyState, 'socket at 100').to.equal(3);
        session.close();
      }, 100);
      testScheduler.flush();
      expect(clientIds(sentBy(sockets[0]).slice(1))).to.deep.equal(['first', 'hello']);
    });
  });

  it('a state$ handler that makes the last subscriber leave on ready (grace 0): every subscriber sees the states in order', () => {
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), { grace: 0 });
      const subscription = session.messages$.subscribe();
      session.state$.subscribe((state) => {
        if (state.type === 'ready') subscription.unsubscribe();
      });
      const seen: string[] = [];
      session.state$.subscribe((state) => seen.push(state.type));
      testScheduler.flush();
      expect(seen).to.deep.equal(['connecting', 'authenticating', 'ready', 'idle']);
      expect(session.state.type).to.equal('idle');
    });
  });

  it('send() after close() is refused with SessionClosedError before any app callback runs', async () => {
    let receipt!: SendReceipt;
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o'), {
        sendAck: {
          keyOf: () => {
            throw new Error('keyOf must not run after close');
          },
          ackedKey: () => undefined,
        },
      });
      session.close();
      receipt = session.send(send('late'));
    });
    expect(await settle(receipt)).to.equal(SessionClosedError.name);
  });

  describe("the server's retry-after delay, made safe", () => {
    const throttled = (retryAfterSec?: number) =>
      serverFrame({ type: 'throttled', ...(retryAfterSec === undefined ? {} : { retryAfterSec }) });
    const retryAfter = (frame: unknown) => {
      const value = frame as { type?: string; retryAfterSec?: number };
      return value.type === 'throttled' ? Number(value.retryAfterSec) * 1000 : undefined; // NaN when the field is missing
    };

    it('a delay the parser could not read (NaN) pauses the queue 1 s instead of not at all', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a-t', { o: serverOpen(), a: ack, t: throttled() }), {
          retryAfter,
        });
        session.messages$.subscribe();
        testScheduler.schedule(() => session.send(send('x')), 10);
        testScheduler.schedule(() => session.close(), 2000);
        testScheduler.flush();
        expect(sentAt(sockets[0]).slice(1)).to.deep.equal([[1005, { type: 'send', clientId: 'x', text: 'x' }]]);
      });
    });

    it('a delay beyond the longest timer waits that longest timer, not a busy loop of timers that fire at once', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a-t', { o: serverOpen(), a: ack, t: throttled(3e6) }), {
          retryAfter,
        });
        session.messages$.subscribe();
        testScheduler.schedule(() => session.send(send('x')), 10);
        testScheduler.schedule(() => session.close(), MAX_TIMER_MS + 100);
        testScheduler.flush();
        expect(
          sentAt(sockets[0])
            .slice(1)
            .map(([at]) => at),
        ).to.deep.equal([5 + MAX_TIMER_MS]);
      });
    });
  });
});
