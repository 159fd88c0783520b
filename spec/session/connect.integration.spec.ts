import { expect } from 'chai';
import * as t from 'io-ts';
import { filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { WebSocket } from 'ws';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { AuthClosedError, FrameRejectedError } from '../../lib/errors.js';
import { connect, type ConnectConfig, type SocketSession } from '../../lib/session/connect.js';
import { SessionClosedError } from '../../lib/session/errors.js';
import type { SendReceipt } from '../../lib/session/send-receipt.js';
import type { SessionState, SessionStateType } from '../../lib/session/session-state.js';
import { Accepted, AuthError, AuthExpired, AuthOk, ChatMessage, Draining, Pong, SendRequest } from '../../lib/testing/gateway-protocol.js';
import { ReferenceGateway, type ReferenceGatewayOptions } from '../../lib/testing/reference-gateway.js';

const Ctor = WebSocket as unknown as WebSocketCtor;
// Generous: these deadlines only matter when something is broken, so a loaded machine never trips them.
const WAIT = 8_000;

const Inbound = t.union([ChatMessage, Accepted]);
type Inbound = t.TypeOf<typeof Inbound>;

/** A session as an app configures it for the reference gateway, timings shortened by configuration. */
function chatSession(gateway: ReferenceGateway, overrides: Partial<ConnectConfig<Inbound, SendRequest, string, number>> = {}) {
  return connect<Inbound, SendRequest, string, number>({
    url: gateway.url,
    WebSocketCtor: Ctor,
    inbound: Inbound,
    outbound: SendRequest,
    token: () => gateway.issueToken({ subject: 'alice' }),
    auth: {
      message: (token, { lastId }) => (lastId === undefined ? { type: 'auth', token } : { type: 'auth', token, resumeFrom: lastId }),
      ack: AuthOk,
      reject: AuthError,
      expired: AuthExpired,
      timeout: WAIT,
    },
    heartbeat: { interval: 100, timeout: 400, ping: () => ({ type: 'ping' }), pong: Pong },
    retry: { initialDelay: 20, maxDelay: 100, resetAfter: 200 },
    resume: { idOf: (message) => (message.type === 'message' ? message.id : undefined) },
    sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined) },
    drain: Draining,
    grace: 50,
    ...overrides,
  });
}

/** Resolves on the next state of this type (not the current one). */
function nextState<K extends SessionStateType>(
  session: SocketSession<unknown, unknown>,
  type: K,
): Promise<Extract<SessionState, { type: K }>> {
  let current = true;
  const found = firstValueFrom(
    session.state$.pipe(
      filter((state): state is Extract<SessionState, { type: K }> => !current && state.type === type),
      timeout(WAIT),
    ),
  );
  current = false;
  return found;
}

/** `ws` behind a constructor that counts the sockets made (a reconnect makes one at once, in its timer). */
function countingCtor(): { Ctor: WebSocketCtor; readonly made: number } {
  let made = 0;
  const Counting = function (this: unknown, ...args: unknown[]) {
    made++;
    return new (Ctor as unknown as new (...args: unknown[]) => unknown)(...args);
  } as unknown as WebSocketCtor;
  return {
    Ctor: Counting,
    get made() {
      return made;
    },
  };
}

/** Resolves once `condition` holds, checking every 10 ms; rejects after WAIT with `what`. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('connect() against the reference gateway (real ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let gateway: ReferenceGateway;
  let session: SocketSession<Inbound, SendRequest> | undefined;
  const subscriptions: Subscription[] = [];
  const start = async (options: ReferenceGatewayOptions = {}) => {
    gateway = await ReferenceGateway.start({ authTimeout: 2_000, reauthGrace: 2_000, ...options });
    return gateway;
  };
  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    session?.close();
    session = undefined;
    await gateway?.close();
  });

  it('loses and duplicates nothing across a drop, a restart, a token expiry and a drain, in order', async () => {
    await start();
    // from: 0 so that even messages published before the first one arrived are replayed
    session = chatSession(gateway, { resume: { idOf: (message) => (message.type === 'message' ? message.id : undefined), from: 0 } });
    const received: number[] = [];
    subscriptions.push(session.messages$.subscribe((message) => message.type === 'message' && received.push(message.id)));
    const receipts: SendReceipt[] = [];
    const sent: string[] = [];
    const sendSome = (prefix: string, count: number) => {
      for (let index = 0; index < count; index++) {
        const clientId = `${prefix}-${index}`;
        sent.push(clientId);
        receipts.push(session!.send({ type: 'send', clientId, text: clientId }));
      }
    };
    let published = 0;
    const publish = (text: string) => {
      gateway.publish(text);
      published++;
    };

    await nextState(session, 'ready');
    const faults: [string, () => Promise<unknown>][] = [
      ['drop', async () => gateway.dropAll()],
      ['restart', () => gateway.restart({ downMs: 100 })],
      ['expiry', async () => gateway.expireTokens()],
      ['drain', async () => gateway.announceDrain(2_000)],
    ];
    for (const [name, fault] of faults) {
      sendSome(`${name}-before`, 5); // some written, some in flight when the fault hits
      publish(`${name}: published before`);
      // The gateway answers a send that crosses its auth_expired notice with a fatal 4401 (sent
      // while unauthenticated): a race no client can avoid for a notice it has not received yet.
      if (name === 'expiry') await Promise.all(receipts);
      const back = name === 'expiry' ? nextState(session, 'reauthenticating') : nextState(session, 'reconnecting');
      await fault();
      if (name === 'expiry') await back; // same race: send once the client knows
      sendSome(`${name}-during`, 3);
      publish(`${name}: published during`); // missed live by a dropped socket: resume replays it
      await back;
      if (session.state.type !== 'ready') await nextState(session, 'ready');
    }
    await Promise.all(receipts);

    // Every send accepted exactly once, in the order of the send() calls.
    expect(gateway.accepted.map((message) => message.clientId)).to.deep.equal(sent);
    // Every message the gateway stored delivered exactly once, in id order.
    const total = sent.length + published;
    await eventually(() => received.length >= total, `${total} messages`);
    expect(received).to.deep.equal(Array.from({ length: total }, (_, index) => index + 1));
    expect(receipts.map((receipt) => receipt.status)).to.deep.equal(sent.map(() => 'acknowledged'));
    // The drain was answered before the gateway's deadline: the client closed (1000), not the server (1012).
    expect(gateway.events.filter((event) => event.kind === 'close').map((event) => event.code)).to.not.include(1012);
  });

  it('resumes after a restart from the last delivered id, so messages published while down arrive', async () => {
    await start();
    session = chatSession(gateway);
    const received: string[] = [];
    subscriptions.push(session.messages$.subscribe((message) => message.type === 'message' && received.push(message.text)));
    await nextState(session, 'ready');
    gateway.publish('one');
    await eventually(() => received.length === 1, 'the first message');
    const reconnecting = nextState(session, 'reconnecting');
    const restarted = gateway.restart({ downMs: 200 });
    await reconnecting;
    gateway.publish('two (while down)');
    gateway.publish('three (while down)');
    await restarted;
    await nextState(session, 'ready');
    await eventually(() => received.length === 3, 'the replayed messages');
    expect(received).to.deep.equal(['one', 'two (while down)', 'three (while down)']);
  });

  it("resumes from the auth ack's lastId (resume.fromAck) after a drop before the first message; without it the message is lost", async () => {
    await start();
    gateway.publish('old 1');
    gateway.publish('old 2');
    const idOf = (message: Inbound) => (message.type === 'message' ? message.id : undefined);
    const fromAck = (ack: unknown) => (AuthOk.is(ack) ? ack.lastId : undefined);
    session = chatSession(gateway, { resume: { idOf, fromAck } });
    const control = chatSession(gateway, { resume: { idOf } });
    const received: string[] = [];
    const controlReceived: string[] = [];
    subscriptions.push(session.messages$.subscribe((message) => message.type === 'message' && received.push(message.text)));
    subscriptions.push(control.messages$.subscribe((message) => message.type === 'message' && controlReceived.push(message.text)));
    try {
      await Promise.all([nextState(session, 'ready'), nextState(control, 'ready')]);
      const back = Promise.all([nextState(session, 'reconnecting'), nextState(control, 'reconnecting')]);
      gateway.dropAll();
      gateway.publish('while down'); // no authenticated socket gets it live
      await back;
      await Promise.all([nextState(session, 'ready'), nextState(control, 'ready')]);
      gateway.publish('after');
      await eventually(() => received.includes('after') && controlReceived.includes('after'), "both sessions to get 'after'");
      // the ack said lastId 2: the old messages are not replayed, the one published while down is
      expect(received).to.deep.equal(['while down', 'after']);
      expect(controlReceived).to.deep.equal(['after']);
      expect(gateway.events.filter((event) => event.kind === 'auth_ok')).to.have.length(4); // two connects each
    } finally {
      control.close();
    }
  });

  it('passes maxPayload to ws: a larger frame ends the session with FrameRejectedError (1009) before it is buffered', async () => {
    await start();
    session = chatSession(gateway, { maxPayload: 512, maxFrameBytes: 256 });
    const failure = new Promise<unknown>((resolve) => subscriptions.push(session!.messages$.subscribe({ error: resolve })));
    await nextState(session, 'ready');
    gateway.publish('x'.repeat(1024));
    const error = await failure;
    expect(error).to.be.instanceOf(FrameRejectedError);
    expect(error).to.deep.include({ kind: 'too-large', closeCode: 1009 });
    expect(session.state.type).to.equal('closed');
  });

  it('writes sends queued before the first connect after the auth ack, in order', async () => {
    await start();
    session = chatSession(gateway, { resume: undefined });
    const ids = Array.from({ length: 20 }, (_, index) => `q-${index}`);
    const receipts = ids.map((clientId) => session!.send({ type: 'send', clientId, text: clientId }));
    expect(session.state.type).to.equal('connecting'); // a send alone opens the session
    await Promise.all(receipts);
    expect(gateway.accepted.map((message) => message.clientId)).to.deep.equal(ids);
    // The gateway closes a socket that sends before auth (4401): none was closed that way.
    expect(gateway.events.filter((event) => event.kind === 'close')).to.deep.equal([]);
  });

  it('keeps the socket over a resubscribe within the grace period, and closes it after', async () => {
    await start();
    session = chatSession(gateway, { grace: 300 });
    // The clock: a session left at the same moment, with a longer grace. Its grace timer is due
    // after the one the resubscribe cancelled, so when it goes idle that one would have run.
    const clock = chatSession(gateway, { grace: 400 });
    try {
      const first = session.messages$.subscribe();
      const clockSubscription = clock.messages$.subscribe();
      await Promise.all([nextState(session, 'ready'), nextState(clock, 'ready')]);
      const states: SessionStateType[] = [];
      subscriptions.push(session.state$.subscribe((state) => states.push(state.type)));
      first.unsubscribe(); // a route change: the next page subscribes again at once
      subscriptions.push(session.messages$.subscribe());
      const clockIdle = nextState(clock, 'idle');
      clockSubscription.unsubscribe();
      await clockIdle;
      expect(states).to.deep.equal(['ready']); // a grace that ran would have made it idle
      expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(2); // one each
      const idle = nextState(session, 'idle');
      subscriptions.splice(0).forEach((subscription) => subscription.unsubscribe());
      await idle;
      await eventually(() => gateway.connectionCount === 0, 'the sockets to close');
    } finally {
      clock.close();
    }
  });

  it('ends in closed{AuthClosedError} for a wrong auth schema when retries are off', async () => {
    await start();
    session = chatSession(gateway, {
      retry: false,
      auth: { message: (token) => ({ type: 'auth', jwt: token }), ack: AuthOk, timeout: WAIT },
    });
    const closed = nextState(session, 'closed');
    const failure = firstValueFrom(session.messages$).catch((error: unknown) => error);
    const state = await closed;
    expect(state.error).to.be.instanceOf(AuthClosedError);
    expect(await failure).to.equal(state.error);
    expect(gateway.accepted).to.have.length(0);
  });

  it('close() closes the socket, completes the streams, gives up what is pending and never reconnects', async () => {
    await start();
    const sockets = countingCtor();
    session = chatSession(gateway, { retry: { initialDelay: 100, jitter: 'none' }, WebSocketCtor: sockets.Ctor });
    let completed = false;
    subscriptions.push(session.messages$.subscribe({ complete: () => (completed = true) }));
    await nextState(session, 'ready');
    const reconnecting = nextState(session, 'reconnecting');
    gateway.dropAll();
    await reconnecting;
    const pending = session.send({ type: 'send', clientId: 'queued', text: 'x' });
    session.close();
    session.close();
    expect(completed).to.equal(true);
    expect(session.state).to.deep.equal({ type: 'closed' });
    expect(
      await pending.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
    ).to.be.instanceOf(SessionClosedError);
    // No event marks a reconnect that does not happen. This timer, armed after the 100 ms one that
    // close() cancelled and for as long, is due after it, and Node runs due timers in that order
    // however late the loop is: when it fires, the reconnect would already have made its socket.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets.made).to.equal(1);
    expect(session.state).to.deep.equal({ type: 'closed' });
    await eventually(() => gateway.connectionCount === 0, 'the dropped socket to be forgotten');
    expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(1);
  });

  it('close() on a ready session closes its socket with 1000', async () => {
    await start();
    session = chatSession(gateway);
    subscriptions.push(session.messages$.subscribe());
    await nextState(session, 'ready');
    session.close();
    await eventually(() => gateway.connectionCount === 0, 'the socket to close');
    expect(gateway.events.filter((event) => event.kind === 'close').map((event) => [event.code, event.detail])).to.deep.equal([
      [1000, 'closed by client'],
    ]);
  });
});
