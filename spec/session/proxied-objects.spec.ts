// Apps get SendReceipt (from session.send) and SocketConnection (in every socket event) and may
// keep them in a UI framework's reactive wrapper (Vue's reactive() on a list of receipts, to show
// status badges), which runs getters and methods with a Proxy as `this`: these classes keep their
// state in plain private fields, since a `#` field throws through a Proxy. The same for the
// session itself (a Pinia store wraps its state deeply): what `state` and `pending` read is plain.
import { expect } from 'chai';
import { asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { ack, scriptedSession, send } from './session-fixtures.js';
import { SendQueue } from '../../lib/session/send-queue.js';
import { SocketConnection } from '../../lib/socket-connection.js';

/** What Vue's reactive() does for reads: Reflect.get with the proxy as receiver. */
const reactive = <T extends object>(target: T): T =>
  new Proxy(target, { get: (object, key, receiver) => Reflect.get(object, key, receiver) });

/** What Vue's reactive() does deeply: every object read through it is wrapped too. */
const deepReactive = <T extends object>(target: T): T =>
  new Proxy(target, {
    get: (object, key, receiver) => {
      const value: unknown = Reflect.get(object, key, receiver);
      return typeof value === 'object' && value !== null ? deepReactive(value) : value;
    },
  });

describe('objects apps hold, read through a reactive Proxy', () => {
  it('a session: state, pending, send() and close() work through a deep Proxy', () => {
    const testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    testScheduler.run(({ cold, flush }) => {
      const { session: raw } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      const session = deepReactive(raw);
      session.messages$.subscribe();
      expect(session.state.type).to.equal('connecting');
      void session.send(send('c-1'));
      expect(session.pending).to.equal(1);
      flush();
      expect(session.state.type).to.equal('ready');
      expect(session.pending).to.equal(0);
      session.close();
      expect(session.state.type).to.equal('closed');
    });
  });

  it('a SendReceipt: status and then() work', async () => {
    const queue = new SendQueue<string>({
      maxQueued: 10,
      overflow: 'reject',
      expireAfter: Infinity,
      rateLimit: undefined,
      awaitsAck: false,
      scheduler: asyncScheduler,
      onDropped: () => undefined,
      onPendingChange: () => undefined,
    });
    queue.setWriter(() => true);
    const receipt = reactive(queue.enqueue('hello', '"hello"', undefined));
    expect(receipt.status).to.equal('written');
    await receipt;
  });

  it('a SocketConnection: heldCount and send() work', () => {
    const sent: string[] = [];
    const socket = { readyState: 1, send: (data: string) => sent.push(data), close: () => undefined } as never;
    const connection = reactive(new SocketConnection(socket, asyncScheduler));
    expect(connection.heldCount).to.equal(0);
    connection.send({ n: 1 });
    expect(sent).to.deep.equal(['{"n":1}']);
  });
});
