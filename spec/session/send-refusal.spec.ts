import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { SendAckConfig } from '../../lib/session/connect.js';
import { SessionClosedError } from '../../lib/session/errors.js';
import { SendRejectedError } from '../../lib/session/send-rejected-error.js';
import type { DroppedSend } from '../../lib/session/send-queue.js';
import type { SendReceipt } from '../../lib/session/send-receipt.js';
import { serverClose, serverFrame, serverOpen, type ScriptedWebSocket } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { accepted, ack, msg, scriptedSession, send, sentBy, TOKEN, type Send } from './session-fixtures.js';

const auth = { type: 'auth', token: TOKEN };

/** A refusal frame: `{ type: 'refused', code, reason, clientId? }`. */
const refused = (code: number, reason: string, clientId?: string) =>
  serverFrame(clientId === undefined ? { type: 'refused', code, reason } : { type: 'refused', code, reason, clientId });

function readRefusal(frame: unknown) {
  const value = frame as { type?: unknown; code?: number; reason?: string; clientId?: string };
  if (value.type !== 'refused') return undefined;
  return { key: value.clientId, error: new SendRejectedError(value.reason ?? '', value.code) };
}

const sendAck: SendAckConfig<Send> = {
  keyOf: (message) => message.clientId,
  ackedKey: (frame) => {
    const value = frame as { type?: unknown; clientId?: unknown };
    return value.type === 'accepted' && typeof value.clientId === 'string' ? value.clientId : undefined;
  },
  failed: readRefusal,
};

async function failureOf(receipt: SendReceipt | undefined): Promise<unknown> {
  return receipt!.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('sendAck.failed (a server refusing one message)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('rejects that receipt, reports it on dropped$, consumes the frame, and never writes the message again', async () => {
    const receipts: SendReceipt[] = [];
    const dropped: DroppedSend<Send>[] = [];
    const invalid: unknown[] = [];
    let sockets: ScriptedWebSocket[] = [];
    testScheduler.run(({ cold }) => {
      const scripted = scriptedSession(
        testScheduler,
        (index) =>
          index === 0
            ? cold('-o-a-r-c', { o: serverOpen(), a: ack, r: refused(4011, 'message too long', 'c-1'), c: serverClose(1006) })
            : cold('-o-a-b', { o: serverOpen(), a: ack, b: accepted('c-2') }),
        { sendAck },
      );
      sockets = scripted.sockets;
      const { session } = scripted;
      session.dropped$.subscribe((one) => dropped.push(one));
      session.invalid$.subscribe((error) => invalid.push(error));
      receipts.push(session.send(send('c-1', 'x'.repeat(50))), session.send(send('c-2')));
      testScheduler.schedule(() => {
        expect(session.pending).to.equal(1); // c-1 gone at once, c-2 still awaits its ack
      }, 6);
      testScheduler.schedule(() => session.close(), 40);
    });
    expect(sentBy(sockets[0])).to.deep.equal([auth, send('c-1', 'x'.repeat(50)), send('c-2')]);
    // c-2 was never acknowledged on the first socket: written again; c-1 was refused: never again
    expect(sentBy(sockets[1])).to.deep.equal([auth, send('c-2')]);
    expect(receipts.map((receipt) => receipt.status)).to.deep.equal(['failed', 'acknowledged']);
    const error = await failureOf(receipts[0]);
    expect(error)
      .to.be.instanceOf(SendRejectedError)
      .and.to.include({ name: 'SendRejectedError', code: 'SEND_REJECTED', serverCode: 4011 });
    expect((error as Error).message).to.equal('the server refused this message (4011): message too long; it is not sent again');
    expect(dropped).to.deep.equal([{ message: send('c-1', 'x'.repeat(50)), error }]);
    expect(invalid).to.deep.equal([]);
  });

  it('takes the oldest message awaiting its ack when the refusal names none (servers answer in order)', async () => {
    let receipts: SendReceipt[] = [];
    testScheduler.run(({ cold }) => {
      const { session, sockets } = scriptedSession(
        testScheduler,
        () => cold('-o-a-br', { o: serverOpen(), a: ack, b: accepted('c-1'), r: refused(4011, 'too long') }),
        { sendAck },
      );
      receipts = [session.send(send('c-1')), session.send(send('c-2')), session.send(send('c-3'))];
      testScheduler.schedule(() => session.close(), 20);
      testScheduler.flush();
      expect(sentBy(sockets[0]).length).to.equal(4);
    });
    // c-1 was acked; the refusal then answered c-2, the oldest still waiting; c-3 waited on until close
    expect(receipts[0]!.status).to.equal('acknowledged');
    expect(await failureOf(receipts[1])).to.be.instanceOf(SendRejectedError);
    expect(await failureOf(receipts[2])).to.be.instanceOf(SessionClosedError);
  });

  it('ignores a refusal when no message awaits an ack, and one for an unknown key', () => {
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(
        testScheduler,
        () =>
          cold('-o-ar-s-b', { o: serverOpen(), a: ack, r: refused(400, 'nothing'), s: refused(4011, 'x', 'other'), b: accepted('c-1') }),
        { sendAck },
      );
      const dropped: unknown[] = [];
      session.dropped$.subscribe((one) => dropped.push(one));
      session.messages$.subscribe();
      const receipts: SendReceipt[] = [];
      testScheduler.schedule(() => receipts.push(session.send(send('c-1'))), 5); // after the first refusal
      testScheduler.schedule(() => session.close(), 20);
      testScheduler.flush();
      expect(receipts.map((receipt) => receipt.status)).to.deep.equal(['acknowledged']);
      expect(dropped).to.deep.equal([]);
    });
  });

  it('passes a refusal that matches inbound on to messages$', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a-m', { o: serverOpen(), a: ack, m: msg(1) }), {
        sendAck: {
          ...sendAck,
          failed: (frame) => ((frame as { id?: unknown }).id === 1 ? { error: new SendRejectedError('no') } : undefined),
        },
      });
      const receipt = session.send(send('c-1'));
      expectObservable(session.messages$, '^-------!').toBe('-----m', { m: { type: 'message', id: 1, text: 'm1' } });
      testScheduler.flush();
      expect(receipt.status).to.equal('failed');
    });
  });

  it('ends the session with the error when failed throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('bad refusal reader');
      const { session } = scriptedSession(testScheduler, () => cold('-o-a-m', { o: serverOpen(), a: ack, m: msg(1) }), {
        sendAck: {
          ...sendAck,
          failed: () => {
            throw boom;
          },
        },
      });
      expectObservable(session.messages$).toBe('-----#', undefined, boom);
      testScheduler.flush();
      expect(session.state).to.deep.include({ type: 'closed', error: boom });
    });
  });
});
