import { expect } from 'chai';
import { filter, firstValueFrom, lastValueFrom, Observable, ReplaySubject, share, Subscription, take, timeout, toArray } from 'rxjs';
import { WebSocket } from 'ws';
import {
  AuthClosedError,
  AuthRejectedError,
  ConnectionClosedError,
  HeartbeatTimeoutError,
  authenticate,
  fromWebSocket,
  heartbeat,
  messages,
  reauthOnExpiry,
  retryWithBackoff,
  waitForOpen,
  type SocketEvent,
  type WebSocketCtor,
} from '../../lib/index.js';
import { AuthError, AuthExpired, AuthOk, ChatMessage, Pong } from '../../lib/testing/gateway-protocol.js';
import { ReferenceGateway, type ReferenceGatewayOptions } from '../../lib/testing/reference-gateway.js';

const Ctor = WebSocket as unknown as WebSocketCtor;
// Generous deadlines: they only matter when something is broken, so a loaded CI machine never trips them.
const WAIT = 8_000;

/** The full pipeline as a user writes it, with timings shortened by configuration. */
function pipeline(gateway: ReferenceGateway, overrides: { token?: () => string; heartbeat?: boolean; WebSocketCtor?: WebSocketCtor } = {}) {
  const token = overrides.token ?? (() => gateway.issueToken({ subject: 'alice' }));
  const steps: ((source: Observable<SocketEvent>) => Observable<SocketEvent>)[] = [
    waitForOpen(WAIT),
    authenticate({ token, message: (value) => ({ type: 'auth', token: value }), ack: AuthOk, reject: AuthError, timeout: WAIT }),
  ];
  if (overrides.heartbeat !== false) {
    steps.push(heartbeat({ interval: 100, timeout: 200, ping: () => ({ type: 'ping' }), pong: Pong }));
  }
  steps.push(reauthOnExpiry({ expired: AuthExpired }));
  return steps.reduce((source, step) => step(source), fromWebSocket(gateway.url, { WebSocketCtor: overrides.WebSocketCtor ?? Ctor }));
}

/** Records every event of a live pipeline so a test can wait for the n-th of a kind. */
function record(events$: Observable<SocketEvent>) {
  const seen = new ReplaySubject<SocketEvent | { type: 'error'; error: unknown }>();
  const subscription = events$.subscribe({
    next: (event) => seen.next(event),
    error: (error: unknown) => seen.next({ type: 'error', error }),
  });
  const nth = <K extends string>(type: K, n = 1) =>
    firstValueFrom(
      seen.pipe(
        filter((event) => event.type === type),
        take(n),
        toArray(),
        timeout(WAIT),
      ),
    ).then((all) => all[n - 1] as Extract<SocketEvent | { type: 'error'; error: unknown }, { type: K }>);
  return { subscription, nth };
}

/** Resolves once `condition` holds, checking every 10 ms; rejects after WAIT with `what`. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the pipeline against the reference gateway (real ws on 127.0.0.1)', function () {
  this.timeout(20_000);
  let gateway: ReferenceGateway;
  const subscriptions: Subscription[] = [];
  const start = async (options: ReferenceGatewayOptions = {}) => {
    gateway = await ReferenceGateway.start({ authTimeout: 2_000, ...options });
    return gateway;
  };
  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    await gateway?.close();
  });

  it('diagnoses the silent close 1000 a strict gateway answers a wrong schema with', async () => {
    await start();
    const events$ = fromWebSocket(gateway.url, { WebSocketCtor: Ctor }).pipe(
      authenticate({ token: gateway.issueToken(), message: (token) => ({ type: 'auth', jwt: token }), ack: AuthOk, timeout: WAIT }),
    );
    const error = await lastValueFrom(events$).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthClosedError);
    const closed = error as AuthClosedError;
    expect([closed.closeCode, closed.reason, closed.phase]).to.deep.equal([1000, '', 'authenticating']);
    expect(closed.message).to.match(
      /^the server closed the connection \(1000, no reason\) \d+ ms after the auth frame and before any ack: it most likely rejected the auth payload \(schema, token or scopes\)$/,
    );
  });

  it('turns an explicit auth_error into AuthRejectedError, which is not retried', async () => {
    await start({ explicitErrors: true });
    const events$ = pipeline(gateway, { token: () => 'unknown-token' }).pipe(retryWithBackoff({ initialDelay: 10 }));
    const error = await lastValueFrom(events$).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthRejectedError);
    expect((error as AuthRejectedError).reason).to.equal('invalid token');
    expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(1);
  });

  it('authenticates first and delivers typed messages in the gateway order', async () => {
    await start();
    const typed$ = pipeline(gateway).pipe(share());
    const received = firstValueFrom(typed$.pipe(messages(ChatMessage), take(3), toArray(), timeout(WAIT)));
    const { subscription, nth } = record(typed$);
    subscriptions.push(subscription);
    const ready = await nth('authenticated');
    ready.connection.send({ type: 'send', clientId: 'c-1', text: 'one' });
    gateway.publish('two');
    gateway.publish('three');
    const got = await received;
    // the client's send and the server's publishes race; what matters is the gateway's order
    expect(got.map((message) => message.id)).to.deep.equal([1, 2, 3]);
    expect(got.map((message) => message.text).sort()).to.deep.equal(['one', 'three', 'two']);
  });

  it('keeps an idle connection alive with the heartbeat, where a silent one is killed', async () => {
    // 400 ms: four heartbeat intervals, so a stalled loop does not starve the live connection.
    await start({ idleTimeout: 400 });
    const { subscription, nth } = record(pipeline(gateway));
    subscriptions.push(subscription);
    await nth('authenticated');
    const live = gateway.events.filter((event) => event.kind === 'auth_ok').at(-1)!.connectionId;
    // Silent connections made one after the other, each after the live one, are the clock: when the
    // third is killed, more than three idle windows have passed since the live one was last silent.
    for (let index = 0; index < 3; index++) {
      const silent = await lastValueFrom(pipeline(gateway, { heartbeat: false })).catch((e: unknown) => e);
      expect(silent).to.be.instanceOf(ConnectionClosedError);
      expect([(silent as ConnectionClosedError).closeCode, (silent as ConnectionClosedError).reason]).to.deep.equal([1001, 'idle timeout']);
    }
    const closes = () => gateway.events.filter((event) => event.kind === 'close');
    await eventually(() => closes().length === 3, 'the gateway to forget the silent ones');
    expect(closes().map((event) => event.connectionId)).to.not.include(live); // only the silent ones
    expect(gateway.connectionCount).to.equal(1);
    expect(subscription.closed).to.equal(false); // the live pipeline did not fail
  });

  it('detects a half-open connection with the heartbeat and reconnects', async () => {
    await start();
    const { subscription, nth } = record(pipeline(gateway).pipe(retryWithBackoff({ initialDelay: 50, maxDelay: 200 })));
    subscriptions.push(subscription);
    await nth('authenticated');
    gateway.goHalfOpen();
    const reconnecting = await nth('reconnecting');
    expect(reconnecting.cause).to.be.instanceOf(HeartbeatTimeoutError);
    expect((reconnecting.cause as HeartbeatTimeoutError).mode).to.equal('pong');
    await nth('authenticated', 2);
    expect(gateway.authenticatedCount).to.equal(1);
  });

  it('re-authenticates on the same socket when the token expires, holding app frames', async () => {
    await start({ reauthGrace: 2_000 });
    const { subscription, nth } = record(pipeline(gateway));
    subscriptions.push(subscription);
    await nth('authenticated');
    gateway.expireTokens();
    const reauth = await nth('reauthenticating');
    // the strict gateway closes 4401 on a send while expired: holding is what keeps this socket alive
    reauth.connection.send({ type: 'send', clientId: 'held-1', text: 'during re-auth' });
    const after = await nth('authenticated', 2);
    expect(after.reauth).to.equal(true);
    expect(after.connection).to.equal(reauth.connection);
    await eventually(() => gateway.accepted.length > 0, 'the held frame to be accepted');
    expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(1);
    expect(gateway.events.filter((event) => event.kind === 'reauth_ok')).to.have.length(1);
    expect(gateway.accepted.map((message) => message.clientId)).to.deep.equal(['held-1']);
  });

  it('reconnects with backoff while the gateway restarts, and authenticates again', async () => {
    await start();
    const { subscription, nth } = record(
      pipeline(gateway).pipe(retryWithBackoff({ initialDelay: 50, maxDelay: 400, jitter: 'none', resetAfter: 60_000 })),
    );
    subscriptions.push(subscription);
    await nth('authenticated');
    await gateway.restart({ downMs: 500 });
    await nth('authenticated', 2);
    const first = await nth('reconnecting', 1);
    const second = await nth('reconnecting', 2);
    expect([first.attempt, first.delay, second.attempt, second.delay]).to.deep.equal([1, 50, 2, 100]);
    expect(gateway.authenticatedCount).to.equal(1);
  });

  it('leaves no socket or timer behind after unsubscribe', async () => {
    await start();
    const baseline = countResources();
    const sockets: WebSocket[] = [];
    const Tracking = function (url: string, protocols?: string | string[]) {
      const socket = new WebSocket(url, protocols);
      sockets.push(socket);
      return socket;
    } as unknown as WebSocketCtor;
    const { subscription, nth } = record(pipeline(gateway, { WebSocketCtor: Tracking }).pipe(retryWithBackoff({ initialDelay: 50 })));
    await nth('authenticated');
    expect(gateway.connectionCount).to.equal(1);
    subscription.unsubscribe();
    // Both ends closed: their TCP handles are released by then (`close` comes once the socket closed).
    await eventually(
      () => gateway.connectionCount === 0 && sockets.every((socket) => socket.readyState === WebSocket.CLOSED),
      'both ends of the socket to close',
    );
    expect(sockets).to.have.length(1);
    expect(countResources()).to.deep.equal(baseline);
  });
});

/** Open TCP sockets and timers of this process, by kind. */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
