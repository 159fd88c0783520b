import { expect } from 'chai';
import sinon from 'sinon';
import * as t from 'io-ts';
import { TestScheduler } from 'rxjs/testing';
import { ConnectionClosedError, DecodeError } from '../../lib/errors.js';
import { connect, type ConnectConfig } from '../../lib/session/connect.js';
import {
  SendDroppedError,
  SendExpiredError,
  SendQueueFullError,
  ServerDrainingError,
  SessionClosedError,
} from '../../lib/session/errors.js';
import type { SendReceipt } from '../../lib/session/send-receipt.js';
import { serverClose, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import {
  accepted,
  ack,
  AuthExpired,
  msg,
  scriptedSession,
  send,
  sentAt,
  sentBy,
  states,
  timeline,
  TOKEN,
  type Msg,
  type Send,
} from './session-fixtures.js';

const auth = { type: 'auth', token: TOKEN };

describe('connect', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  describe('messages$ and state$', () => {
    it('connects on the first subscriber, walks connecting, authenticating, ready, and decodes messages', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a-m', { o: serverOpen(), a: ack, m: msg(1) }));
        expectObservable(session.messages$, '^-------!').toBe('-----m', { m: { type: 'message', id: 1, text: 'm1' } });
        const log = timeline(testScheduler, states(session));
        testScheduler.schedule(() => log.stop(), 100);
        testScheduler.flush();
        // the last subscriber left at 8; grace 5 later the socket closed
        expect(log.lines).to.deep.equal(['0 idle', '0 connecting', '1 authenticating', '3 ready', '13 idle']);
      });
    });

    it('starts idle and opens no socket until something subscribes or sends', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        const log = timeline(testScheduler, states(session));
        testScheduler.flush();
        expect(log.lines).to.deep.equal(['0 idle']);
        expect(sockets).to.have.length(0);
        expect(session.state).to.deep.equal({ type: 'idle' });
        log.stop();
      });
    });

    it('shares one socket among all subscribers, and keeps it across a resubscribe within the grace period', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a-m---m----m', { o: serverOpen(), a: ack, m: msg(1) }));
        const m = { type: 'message', id: 1, text: 'm1' };
        expectObservable(session.messages$, '^-------!').toBe('-----m', { m });
        expectObservable(session.messages$, '--^---------!').toBe('-----m---m', { m });
        // both gone at 12; back at 15, within the 5 ms grace: same socket, no reconnect
        expectObservable(session.messages$, '---------------^-!').toBe('');
        testScheduler.flush();
        expect(sockets).to.have.length(1);
        expect(sockets[0]!.closedByClient).to.deep.include({ at: 22, code: 1000 });
      });
    });

    it('reports no state twice in a row, and reconnecting with attempt, delay and cause', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, (index) =>
          index === 0 ? cold('-o-a--c', { o: serverOpen(), a: ack, c: serverClose(1006) }) : cold('-o-a', { o: serverOpen(), a: ack }),
        );
        const reconnecting: unknown[] = [];
        const log = timeline(testScheduler, states(session));
        session.state$.subscribe((state) => state.type === 'reconnecting' && reconnecting.push(state));
        const sub = session.messages$.subscribe();
        testScheduler.schedule(() => sub.unsubscribe(), 50);
        testScheduler.flush();
        expect(log.lines).to.deep.equal([
          '0 idle',
          '0 connecting',
          '1 authenticating',
          '3 ready',
          '6 reconnecting:1:10',
          '16 connecting',
          '17 authenticating',
          '19 ready',
          '55 idle',
        ]);
        const [state] = reconnecting as { cause: ConnectionClosedError }[];
        expect(state!.cause).to.be.instanceOf(ConnectionClosedError);
        expect(state!.cause.closeCode).to.equal(1006);
        log.stop();
      });
    });

    it('ends in closed{error} on a fatal failure: messages$ errors, later subscribers get the error', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session } = scriptedSession(testScheduler, () =>
          cold('-o-a-c', { o: serverOpen(), a: ack, c: serverClose(4403, 'forbidden') }),
        );
        const log = timeline(testScheduler, states(session));
        const error = new ConnectionClosedError(4403, 'forbidden', true, 'ready', 4);
        expectObservable(session.messages$).toBe('-----#', undefined, error);
        expectObservable(session.messages$, '----------^').toBe('----------#', undefined, error);
        testScheduler.flush();
        expect(log.lines).to.deep.equal([
          '0 idle',
          '0 connecting',
          '1 authenticating',
          '3 ready',
          '5 closed:ConnectionClosedError',
          '5 complete',
        ]);
        expect(session.state).to.deep.include({ type: 'closed' });
      });
    });

    it('gives a late state$ subscriber the closed state, then completes', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        session.close();
        const log = timeline(testScheduler, states(session));
        expect(log.lines).to.deep.equal(['0 closed', '0 complete']);
      });
    });

    it('reports frames that fail the codec on invalid$ and goes on', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session } = scriptedSession(testScheduler, () =>
          cold('-o-abcm', { o: serverOpen(), a: ack, b: serverFrame('{nope'), c: serverFrame({ type: 'message', id: 'x' }), m: msg(1) }),
        );
        const invalid: DecodeError[] = [];
        session.invalid$.subscribe((error) => invalid.push(error));
        expectObservable(session.messages$, '^--------!').toBe('------m', { m: { type: 'message', id: 1, text: 'm1' } });
        testScheduler.flush();
        expect(invalid.map((error) => [error.name, error.kind])).to.deep.equal([
          ['DecodeError', 'json'],
          ['DecodeError', 'schema'],
        ]);
      });
    });

    it("errors the session on an invalid frame with invalid: 'error'", () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-ab', { o: serverOpen(), a: ack, b: serverFrame('{nope') }), {
          invalid: 'error',
        });
        expectObservable(session.messages$).toBe('----#', undefined, new DecodeError('json', [], '{nope', 5));
        testScheduler.flush();
        expect(session.state).to.deep.include({ type: 'closed' });
      });
    });

    it('is ready on open when there is no auth', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o', { o: serverOpen() }), {
          auth: undefined,
          token: undefined,
        });
        const log = timeline(testScheduler, states(session));
        session.send(send('c-1'));
        testScheduler.schedule(() => session.close(), 10);
        testScheduler.flush();
        // delivered at 1: with no subscriber and nothing pending, the socket closes after the grace
        expect(log.lines).to.deep.equal(['0 idle', '0 connecting', '1 ready', '6 idle', '10 closed', '10 complete']);
        expect(sentAt(sockets[0])).to.deep.equal([[1, send('c-1')]]);
      });
    });
  });

  describe('send', () => {
    it('queues before auth and writes in order right after the ack, never before', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o---a', { o: serverOpen(), a: ack }));
        const first = session.send(send('c-1'));
        testScheduler.schedule(() => session.send(send('c-2')), 2); // open, not yet acknowledged
        expect(first.status).to.equal('queued');
        testScheduler.schedule(() => session.close(), 20);
        testScheduler.flush();
        expect(sentAt(sockets[0])).to.deep.equal([
          [1, auth],
          [5, send('c-1')],
          [5, send('c-2')],
        ]);
        expect(first.status).to.equal('written');
      });
    });

    it('keeps queued and unacknowledged sends across a drop and writes them on the next socket, in order', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a-b-c', { o: serverOpen(), a: ack, b: accepted('c-1'), c: serverClose(1006) })
              : cold('-o-a-b', { o: serverOpen(), a: ack, b: accepted('c-2') }),
          { sendAck: { keyOf: (message) => message.clientId, ackedKey: ackedKey } },
        );
        const receipts: SendReceipt[] = [];
        const statuses: string[] = [];
        receipts.push(session.send(send('c-1')), session.send(send('c-2')));
        testScheduler.schedule(() => receipts.push(session.send(send('c-3'))), 10); // while reconnecting
        testScheduler.schedule(() => statuses.push(receipts.map((receipt) => receipt.status).join()), 6);
        testScheduler.schedule(() => session.close(), 40);
        testScheduler.flush();
        expect(sentBy(sockets[0])).to.deep.equal([auth, send('c-1'), send('c-2')]);
        // c-1 was acknowledged; c-2 was written but its ack never came: it goes out again first
        expect(sentAt(sockets[1])).to.deep.equal([
          [18, auth],
          [20, send('c-2')],
          [20, send('c-3')],
        ]);
        expect(statuses).to.deep.equal(['acknowledged,written']);
        expect(receipts.map((receipt) => receipt.status)).to.deep.equal(['acknowledged', 'acknowledged', 'failed']);
      });
    });

    it('consumes acks the inbound codec does not describe, without reporting them as invalid', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session } = scriptedSession(
          testScheduler,
          () => cold('-o-a-bm', { o: serverOpen(), a: ack, b: accepted('c-1'), m: msg(1) }),
          {
            sendAck: { keyOf: (message) => message.clientId, ackedKey },
          },
        );
        const invalid: unknown[] = [];
        session.invalid$.subscribe((error) => invalid.push(error));
        const receipt = session.send(send('c-1'));
        expectObservable(session.messages$, '^-------!').toBe('------m', { m: { type: 'message', id: 1, text: 'm1' } });
        testScheduler.flush();
        expect(invalid).to.deep.equal([]);
        expect(receipt.status).to.equal('acknowledged');
      });
    });

    it('holds sends during a re-auth on the same socket and writes them after its ack', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          () => cold('-o-a--e---k', { o: serverOpen(), a: ack, e: serverFrame({ type: 'auth_expired' }), k: ack }),
          { auth: { message: (token) => ({ type: 'auth', token }), ack: t.type({ type: t.literal('auth_ok') }), expired: AuthExpired } },
        );
        const log = timeline(testScheduler, states(session));
        session.messages$.subscribe({ error: () => undefined });
        testScheduler.schedule(() => session.send(send('c-1')), 8);
        testScheduler.schedule(() => session.close(), 30);
        testScheduler.flush();
        expect(sentAt(sockets[0])).to.deep.equal([
          [1, auth],
          [6, auth],
          [10, send('c-1')],
        ]);
        expect(log.lines.slice(0, 6)).to.deep.equal([
          '0 idle',
          '0 connecting',
          '1 authenticating',
          '3 ready',
          '6 reauthenticating:expired',
          '10 ready',
        ]);
        expect(sockets).to.have.length(1);
      });
    });

    it("refuses a send over maxQueued with SendQueueFullError (overflow 'reject')", async () => {
      let third: SendReceipt | undefined;
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o', { o: serverOpen() }), { maxQueued: 2 });
        session.send(send('c-1'));
        session.send(send('c-2'));
        third = session.send(send('c-3'));
        expect(third.status).to.equal('failed');
        expect(session.pending).to.equal(2);
        session.close();
      });
      const error = await third!.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(SendQueueFullError).and.to.include({ maxQueued: 2, code: 'SEND_QUEUE_FULL' });
    });

    it("drops the oldest waiting message and reports it on dropped$ (overflow 'drop-oldest')", () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), {
          maxQueued: 2,
          overflow: 'drop-oldest',
        });
        const dropped: unknown[] = [];
        session.dropped$.subscribe(({ message, error }) => dropped.push([message.clientId, error]));
        const first = session.send(send('c-1'));
        session.send(send('c-2'));
        session.send(send('c-3'));
        testScheduler.schedule(() => session.close(), 10);
        testScheduler.flush();
        expect(first.status).to.equal('failed');
        expect(dropped).to.deep.equal([['c-1', new SendDroppedError(2)]]);
        expect(sentBy(sockets[0])).to.deep.equal([auth, send('c-2'), send('c-3')]);
      });
    });

    it('expires a message that waited too long, reports it, and never writes it', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-------a', { o: serverOpen(), a: ack }), {
          expireAfter: 5,
        });
        const dropped: unknown[] = [];
        session.dropped$.subscribe(({ message, error }) => dropped.push([testScheduler.now(), message.clientId, error]));
        const expiring = session.send(send('c-1'));
        const patient = session.send(send('c-2'), { expireAfter: 50 });
        testScheduler.schedule(() => session.close(), 20);
        testScheduler.flush();
        expect(dropped).to.deep.equal([[5, 'c-1', new SendExpiredError(5)]]);
        expect([expiring.status, patient.status]).to.deep.equal(['failed', 'written']);
        expect(sentBy(sockets[0])).to.deep.equal([auth, send('c-2')]);
      });
    });

    it('paces writes to the rate limit, delaying (never dropping) the rest', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), {
          rateLimit: { messages: 2, perMs: 10 },
        });
        session.messages$.subscribe({ error: () => undefined });
        for (const id of [1, 2, 3, 4, 5]) session.send(send(`c-${id}`));
        testScheduler.schedule(() => session.send(send('c-6')), 30);
        testScheduler.schedule(() => session.close(), 60);
        testScheduler.flush();
        expect(
          sentAt(sockets[0])
            .slice(1)
            .map(([at, frame]) => [at, (frame as Send).clientId]),
        ).to.deep.equal([
          [3, 'c-1'],
          [3, 'c-2'],
          [13, 'c-3'],
          [13, 'c-4'],
          [23, 'c-5'],
          [30, 'c-6'],
        ]);
      });
    });

    it("pauses the queue for a server's retry-after and writes the refused message again (with sendAck)", () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          () =>
            cold('-o-a-bc-----------------d', {
              o: serverOpen(),
              a: ack,
              b: accepted('c-1'),
              c: serverFrame({ type: 'too_many', retryAfterMs: 15 }),
              d: accepted('c-2'),
            }),
          {
            sendAck: { keyOf: (message) => message.clientId, ackedKey },
            retryAfter: (frame) =>
              (frame as { type?: string }).type === 'too_many' ? (frame as { retryAfterMs: number }).retryAfterMs : undefined,
          },
        );
        const seen: unknown[] = [];
        session.messages$.subscribe({ next: (message) => seen.push(message), error: () => undefined });
        const receipts = [session.send(send('c-1')), session.send(send('c-2'))];
        testScheduler.schedule(() => receipts.push(session.send(send('c-3'))), 8);
        testScheduler.schedule(() => session.close(), 40);
        testScheduler.flush();
        expect(sentAt(sockets[0]).map(([at, frame]) => [at, (frame as Send).clientId ?? 'auth'])).to.deep.equal([
          [1, 'auth'],
          [3, 'c-1'],
          [3, 'c-2'],
          [21, 'c-2'], // refused at 6, paused 15 ms
          [21, 'c-3'],
        ]);
        expect(receipts.map((receipt) => receipt.status)).to.deep.equal(['acknowledged', 'acknowledged', 'failed']);
        expect(seen).to.deep.equal([]); // the retry-after frame is consumed, never decoded as an app message
      });
    });

    it('settles the receipt when written; awaiting it resolves', async () => {
      let receipt: SendReceipt | undefined;
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        receipt = session.send(send('c-1'));
        testScheduler.schedule(() => session.close(), 10);
      });
      expect(receipt!.status).to.equal('written');
      await receipt;
    });

    it('refuses a message that does not match the outbound codec, or cannot be serialized', async () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), {
          outbound: undefined,
          serialize: (value) => {
            if ((value as { bad?: boolean }).bad) throw new TypeError('cannot serialize');
            return JSON.stringify(value);
          },
        });
        expect(session.send({ bad: true } as unknown as Send).status).to.equal('failed');
        session.close();
      });
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        const receipt = session.send({ type: 'send', clientId: 1 } as unknown as Send);
        expect(receipt.status).to.equal('failed');
        expect(session.pending).to.equal(0);
        session.close();
      });
    });

    it('opens the socket for a send with no subscriber, and closes it after the grace once delivered', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        const log = timeline(testScheduler, states(session));
        session.send(send('c-1'));
        testScheduler.flush();
        expect(log.lines).to.deep.equal(['0 idle', '0 connecting', '1 authenticating', '3 ready', '8 idle']);
        expect(sockets[0]!.closedByClient).to.deep.include({ at: 8, code: 1000 });
        log.stop();
      });
    });

    it('gives up pending sends with SessionClosedError carrying the fatal cause', async () => {
      let receipt: SendReceipt | undefined;
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o-c', { o: serverOpen(), c: serverClose(4401, 'nope') }));
        receipt = session.send(send('c-1'));
      });
      const error = (await receipt!.then(
        () => undefined,
        (e: unknown) => e,
      )) as SessionClosedError;
      expect(error).to.be.instanceOf(SessionClosedError).and.to.include({ by: 'error' });
      expect(error.cause).to.be.instanceOf(ConnectionClosedError);
      expect(error.message).to.not.include(TOKEN);
    });
  });

  describe('resume', () => {
    it('passes the last id to the auth frame on reconnect and drops replayed duplicates', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a12-c', { o: serverOpen(), a: ack, 1: msg(1), 2: msg(2), c: serverClose(1006) })
              : cold('-o-a23', { o: serverOpen(), a: ack, 2: msg(2), 3: msg(3) }),
          { resume: { idOf: (message: Msg) => message.id } },
        );
        expectObservable(session.messages$.pipe(), '^----------------------!').toBe('----12----------------3', {
          1: { type: 'message', id: 1, text: 'm1' },
          2: { type: 'message', id: 2, text: 'm2' },
          3: { type: 'message', id: 3, text: 'm3' },
        });
        testScheduler.flush();
        expect(sentBy(sockets[0])).to.deep.equal([auth]);
        expect(sentBy(sockets[1])).to.deep.equal([{ ...auth, resumeFrom: 2 }]);
      });
    });
  });

  describe('drain', () => {
    it('reconnects at once on a drain notice, before the server closes, and keeps queued sends', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0
              ? cold('-o-a--d', { o: serverOpen(), a: ack, d: serverFrame({ type: 'draining', closeInMs: 100 }) })
              : cold('-o-a', { o: serverOpen(), a: ack }),
          { drain: t.type({ type: t.literal('draining') }) },
        );
        const log = timeline(testScheduler, states(session));
        const causes: unknown[] = [];
        session.state$.subscribe((state) => state.type === 'reconnecting' && causes.push(state.cause));
        const sub = session.messages$.subscribe();
        testScheduler.schedule(() => session.send(send('c-1')), 7);
        testScheduler.schedule(() => sub.unsubscribe(), 20);
        testScheduler.flush();
        expect(log.lines).to.deep.equal([
          '0 idle',
          '0 connecting',
          '1 authenticating',
          '3 ready',
          '6 reconnecting:1:0',
          '6 connecting',
          '7 authenticating',
          '9 ready',
          '25 idle',
        ]);
        expect(causes[0]).to.be.instanceOf(ServerDrainingError);
        expect(sockets[0]!.closedByClient).to.deep.include({ at: 6, code: 1000 });
        expect(sentAt(sockets[1])).to.deep.equal([
          [7, auth],
          [9, send('c-1')],
        ]);
        log.stop();
      });
    });
  });

  describe('reconnectNow', () => {
    it('ends a reconnect wait at once when the trigger fires, and ignores it at other times', () => {
      testScheduler.run(({ cold, hot }) => {
        const online = hot('-x------x--x', { x: 'online' });
        const { session, sockets } = scriptedSession(
          testScheduler,
          (index) =>
            index === 0 ? cold('-o-a--c', { o: serverOpen(), a: ack, c: serverClose(1006) }) : cold('-o-a', { o: serverOpen(), a: ack }),
          { retry: { initialDelay: 100, jitter: 'none' }, reconnectNow: online },
        );
        const log = timeline(testScheduler, states(session));
        const sub = session.messages$.subscribe();
        testScheduler.schedule(() => sub.unsubscribe(), 20);
        testScheduler.flush();
        // x at 1 (connecting) is ignored; x at 8 cuts the 100 ms wait that began at 6; x at 11 (ready) is ignored
        expect(log.lines).to.deep.equal([
          '0 idle',
          '0 connecting',
          '1 authenticating',
          '3 ready',
          '6 reconnecting:1:100',
          '8 connecting',
          '9 authenticating',
          '11 ready',
          '25 idle',
        ]);
        expect(sockets).to.have.length(2);
        expect(online.observers).to.have.length(0); // unsubscribed with the socket
        log.stop();
      });
    });
  });

  describe('invalid frames without an invalid$ subscriber', () => {
    it('warns on the console only while nobody subscribes to invalid$', () => {
      const warn = sinon.stub(console, 'warn');
      try {
        testScheduler.run(({ cold }) => {
          const { session } = scriptedSession(testScheduler, () =>
            cold('-o-ab---c', { o: serverOpen(), a: ack, b: serverFrame('{nope'), c: serverFrame('{again') }),
          );
          session.messages$.subscribe();
          testScheduler.schedule(() => session.invalid$.subscribe(), 6);
          testScheduler.schedule(() => session.close(), 20);
        });
        expect(warn.callCount).to.equal(1);
        expect(warn.firstCall.args[0]).to.match(/^rxjs-socket-pipeline: a frame of 5 bytes is not valid JSON/);
      } finally {
        warn.restore();
      }
    });
  });

  describe('close', () => {
    it('closes the socket with 1000, completes messages$ and state$, gives up pending sends, and leaves no timer', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), {
          heartbeat: { interval: 4, timeout: 4, ping: () => ({ type: 'ping' }) },
          expireAfter: 1000,
          grace: 1000,
        });
        const dropped: unknown[] = [];
        session.dropped$.subscribe({ next: ({ error }) => dropped.push(error), complete: () => dropped.push('complete') });
        expectObservable(session.messages$).toBe('----------|');
        const log = timeline(testScheduler, states(session));
        testScheduler.schedule(() => session.send(send('c-1')), 2);
        testScheduler.schedule(() => session.send(send('c-2'), { expireAfter: 500 }), 1); // written at 3
        testScheduler.schedule(() => session.close(), 10);
        testScheduler.schedule(() => session.close(), 11); // idempotent
        testScheduler.flush();
        expect(sockets[0]!.closedByClient).to.deep.include({ at: 10, code: 1000 });
        expect(log.lines.slice(-2)).to.deep.equal(['10 closed', '10 complete']);
        expect(dropped).to.deep.equal(['complete']);
        // nothing was left scheduled: flushing stopped right after the close (no ping, expiry or grace timer)
        expect(testScheduler.now()).to.be.lessThan(12);
        expect(session.send(send('c-3')).status).to.equal('failed');
        expect(sockets).to.have.length(1);
      });
    });

    it('gives up queued sends on close with SessionClosedError and reports them on dropped$', () => {
      testScheduler.run(({ cold }) => {
        const { session } = scriptedSession(testScheduler, () => cold('-o', { o: serverOpen() }));
        const dropped: unknown[] = [];
        session.dropped$.subscribe(({ error }) => dropped.push(error));
        const receipt = session.send(send('c-1'));
        session.close();
        expect(receipt.status).to.equal('failed');
        expect(dropped).to.deep.equal([new SessionClosedError('close')]);
      });
    });

    it('never opens a socket after close, even for a new subscriber', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        session.close();
        expectObservable(session.messages$).toBe('|');
        testScheduler.flush();
        expect(sockets).to.have.length(0);
      });
    });

    it('closes from within a state$ callback without leaving anything behind', () => {
      testScheduler.run(({ cold }) => {
        const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
        session.state$.subscribe((state) => state.type === 'ready' && session.close());
        session.messages$.subscribe();
        testScheduler.flush();
        expect(session.state).to.deep.equal({ type: 'closed' });
        expect(sockets[0]!.closedByClient).to.deep.include({ at: 3, code: 1000 });
      });
    });
  });

  describe('config validation', () => {
    const base = (): ConnectConfig<Msg, Send> => ({
      url: 'ws://gateway.localhost',
      inbound: t.type({ type: t.literal('message'), id: t.number, text: t.string }),
    });
    const cases: [string, Partial<ConnectConfig<Msg, Send>> & Record<string, unknown>, RegExp][] = [
      ['url', { url: 42 as unknown as string }, /connect: url/],
      ['inbound', { inbound: {} as never }, /connect: inbound/],
      ['outbound', { outbound: { is: () => true } as never }, /connect: outbound/],
      ['token without auth', { token: 'x' }, /connect: token needs auth/],
      ['auth without token', { auth: { message: () => ({}), ack: () => true } }, /connect: token is required/],
      ['auth.message', { token: 'x', auth: { message: 1 as never, ack: () => true } }, /connect: auth\.message/],
      ['auth.ack', { token: 'x', auth: { message: () => ({}), ack: 1 as never } }, /connect: auth\.ack/],
      ['grace', { grace: -1 }, /connect: grace/],
      [
        'grace over the longest timer (it would fire at once)',
        { grace: 2 ** 31 },
        /connect: grace must be a number of ms above 0 and at most 2147483647, or 0 \(close at once\) or Infinity \(keep until close\(\)\), got 2147483648/,
      ],
      ['maxQueued', { maxQueued: 0 }, /connect: maxQueued/],
      ['overflow', { overflow: 'drop-newest' as never }, /connect: overflow/],
      ['expireAfter', { expireAfter: 0 }, /connect: expireAfter/],
      [
        'expireAfter over the longest timer',
        { expireAfter: 2 ** 31 },
        /connect: expireAfter must be a number of ms above 0 and at most 2147483647, or Infinity \(never\), got 2147483648/,
      ],
      ['sendAck', { sendAck: { keyOf: () => 'x' } as never }, /connect: sendAck/],
      ['sendAck.failed', { sendAck: { keyOf: () => 'x', ackedKey: () => undefined, failed: 5 as never } }, /connect: sendAck\.failed/],
      ['rateLimit.messages', { rateLimit: { messages: 0, perMs: 1000 } }, /connect: rateLimit\.messages/],
      ['rateLimit.perMs', { rateLimit: { messages: 2, perMs: -1 } }, /connect: rateLimit\.perMs/],
      ['rateLimit.perMs over the longest timer', { rateLimit: { messages: 2, perMs: 2 ** 31 } }, /connect: rateLimit\.perMs .*2147483647/],
      ['rateLimit.perMs Infinity', { rateLimit: { messages: 2, perMs: Infinity } }, /connect: rateLimit\.perMs/],
      ['retryAfter', { retryAfter: 5 as never }, /connect: retryAfter/],
      ['resume.idOf', { resume: {} as never }, /connect: resume\.idOf/],
      ['resume.fromAck', { resume: { idOf: () => 1, fromAck: 1 as never } }, /connect: resume\.fromAck must be a function/],
      ['resume.fromAck without auth', { resume: { idOf: () => 1, fromAck: () => 1 } }, /connect: resume\.fromAck needs auth/],
      ['maxPayload', { maxPayload: 0, WebSocketCtor: function () {} as never }, /connect: maxPayload must be a positive integer/],
      ['maxPayload without WebSocketCtor', { maxPayload: 1024 }, /connect: maxPayload needs WebSocketCtor/],
      ['drain', { drain: 'draining' as never }, /connect: drain/],
      ['reconnectNow', { reconnectNow: (() => undefined) as never }, /connect: reconnectNow/],
      ['plain ws:// to another machine (core)', { url: 'ws://chat.example.com' }, /allowInsecure: true/],
      ['heartbeat (core operator)', { heartbeat: { interval: 10 } }, /heartbeat: ping/],
      ['retry (core operator)', { retry: { initialDelay: -1 } }, /retryWithBackoff: initialDelay/],
    ];
    for (const [name, overrides, message] of cases) {
      it(`rejects a bad ${name} when created, with a TypeError naming it`, () => {
        expect(() => connect({ ...base(), ...overrides } as ConnectConfig<Msg, Send>)).to.throw(TypeError, message);
      });
    }

    it('accepts timer options up to 2147483647 ms, and Infinity where it means never', () => {
      const WebSocketCtor = function () {} as never;
      for (const overrides of [
        { grace: 2 ** 31 - 1, expireAfter: 2 ** 31 - 1, rateLimit: { messages: 1, perMs: 2 ** 31 - 1 } },
        { grace: Infinity, expireAfter: Infinity },
      ]) {
        const session = connect({ ...base(), WebSocketCtor, ...overrides }); // a refusal throws here
        expect(session.state, JSON.stringify(overrides)).to.deep.equal({ type: 'idle' });
        session.close();
        expect(session.state, JSON.stringify(overrides)).to.deep.equal({ type: 'closed' });
      }
      // ...and one ms more is refused, naming the option: the bound is the one accepted above.
      for (const [overrides, name] of [
        [{ grace: 2 ** 31 }, /grace/],
        [{ expireAfter: 2 ** 31 }, /expireAfter/],
        [{ rateLimit: { messages: 1, perMs: 2 ** 31 } }, /perMs/],
      ] as const) {
        expect(() => connect({ ...base(), WebSocketCtor, ...overrides }), name.source).to.throw(TypeError, name);
      }
    });

    it('fails a send whose own expireAfter is over the longest timer with a TypeError naming it', async () => {
      const session = connect({ ...base(), WebSocketCtor: function () {} as never, retry: false });
      const tooLong = session.send({ type: 'send', clientId: 'c-1', text: 'x' }, { expireAfter: 2 ** 31 });
      expect(tooLong.status).to.equal('failed');
      const error = await tooLong.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(
        /send: expireAfter must be a number of ms above 0 and at most 2147483647, or Infinity \(never\), got 2147483648/,
      );
      expect(session.send({ type: 'send', clientId: 'c-2', text: 'x' }, { expireAfter: Infinity }).status).to.equal('queued');
      session.close();
    });
  });
});

function ackedKey(frame: unknown): string | undefined {
  const value = frame as { type?: unknown; clientId?: unknown };
  return value.type === 'accepted' && typeof value.clientId === 'string' ? value.clientId : undefined;
}
