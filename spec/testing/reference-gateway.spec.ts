import { expect } from 'chai';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import sinon from 'sinon';
import { WebSocket } from 'ws';
import { Accepted, AuthError, AuthOk, ChatMessage, ClientFrame, Draining, ServerFrame } from '../../lib/testing/gateway-protocol.js';
import { ReferenceGateway, type ReferenceGatewayOptions } from '../../lib/testing/reference-gateway.js';

/** One frame as the raw client saw it. */
type Received = { readonly text: string; readonly json: unknown } | { readonly binary: Buffer };

interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** A plain `ws` client that records every frame and the close, with no library code involved. */
class RawClient {
  readonly inbox: Received[] = [];
  closeInfo: CloseInfo | undefined;
  private read = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      if (isBinary) {
        this.inbox.push({ binary: buffer });
      } else {
        const text = buffer.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        this.inbox.push({ text, json });
      }
    });
    ws.on('close', (code, reason) => (this.closeInfo = { code, reason: reason.toString() }));
  }

  static connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    const client = new RawClient(ws);
    clients.push(client);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame not yet read; fails if the socket closes first or nothing comes in time. */
  async next(timeoutMs = 2000): Promise<Received> {
    await until(() => this.inbox.length > this.read || this.closeInfo !== undefined, timeoutMs, 'a frame');
    if (this.inbox.length > this.read) return this.inbox[this.read++]!;
    throw new Error(`closed ${this.closeInfo?.code} '${this.closeInfo?.reason}' before the next frame`);
  }

  /** The next frame, which must be JSON text. */
  async nextJson(timeoutMs = 2000): Promise<Record<string, unknown>> {
    const frame = await this.next(timeoutMs);
    expect(frame, 'a text frame').to.have.property('json').that.is.an('object');
    return (frame as { json: Record<string, unknown> }).json;
  }

  /** Resolves with the close, failing if it does not come in time. */
  async closed(timeoutMs = 2000): Promise<CloseInfo> {
    await until(() => this.closeInfo !== undefined, timeoutMs, 'the close');
    return this.closeInfo!;
  }

  /** Frames received and not yet read by {@link next}. */
  get unread(): Received[] {
    return this.inbox.slice(this.read);
  }

  async dispose(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await until(() => this.closeInfo !== undefined, 2000, 'the client to close');
  }
}

const clients: RawClient[] = [];
const gateways: ReferenceGateway[] = [];

async function startGateway(options: ReferenceGatewayOptions = {}): Promise<ReferenceGateway> {
  const gateway = await ReferenceGateway.start(options);
  gateways.push(gateway);
  return gateway;
}

/** Connects and authenticates; returns the client and its `auth_ok`. */
async function authed(
  gateway: ReferenceGateway,
  frame: { token?: string; resumeFrom?: number } = {},
): Promise<{ client: RawClient; ok: AuthOk }> {
  const client = await RawClient.connect(gateway.url);
  client.send({ type: 'auth', token: frame.token ?? gateway.issueToken(), ...pick(frame, 'resumeFrom') });
  const ok = await client.nextJson();
  expect(AuthOk.is(ok), JSON.stringify(ok)).to.equal(true);
  return { client, ok: ok as AuthOk };
}

function pick<T extends object, K extends keyof T>(value: T, key: K): Partial<Pick<T, K>> {
  return value[key] === undefined ? {} : ({ [key]: value[key] } as Pick<T, K>);
}

// Taken before any test fakes the clock: this file's own waits always run on real time.
const realSetTimeout = globalThis.setTimeout;

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

let fakedClock: sinon.SinonFakeTimers | undefined;

/**
 * Fakes the clock the gateway runs on (`Date` and its timers) until the end of the test, so that
 * its deadlines (auth, idle, token expiry, re-auth grace, heartbeat) fire only inside
 * `clock.tick()`, synchronously and at their exact virtual time: a test can then show that
 * something happens at a deadline and not 1 ms before it, whatever the machine's speed. Sockets,
 * `performance.now()` and this file's waits stay real. Call it before starting the gateway.
 */
function fakeClock(): sinon.SinonFakeTimers {
  fakedClock = sinon.useFakeTimers({
    now: Date.now(),
    toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
    shouldClearNativeTimers: true,
  });
  return fakedClock;
}

/** Resolves with the connection error once the socket is gone, failing if the connection opens. */
function connectError(url: string): Promise<Error> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let failure: Error | undefined;
    ws.once('open', () => ws.terminate());
    ws.once('error', (error) => (failure = error));
    ws.once('close', () => (failure ? resolve(failure) : reject(new Error('connected'))));
  });
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/**
 * Runs `fn` with `Date` (only `Date`: timers and sockets stay real) frozen at `now`, so that times
 * the gateway computes synchronously inside it (token expiries) can be expected exactly.
 */
function withDateAt<T>(now: number, fn: () => T): T {
  const clock = sinon.useFakeTimers({ now, toFake: ['Date'] });
  try {
    return fn();
  } finally {
    clock.restore();
  }
}

// The tests of deadlines run the gateway on a fake clock (fakeClock): a slow or stalled machine
// can neither make a deadline run out before the step it guards nor hide one that fires too early.
// "Nothing came before the answer to this ping" holds on any machine: the gateway writes to a
// socket in order, and what a tick made it write was written before the ping was sent.
describe('ReferenceGateway', function () {
  // Upper bounds for waits on events, never reached unless something is broken.
  this.timeout(10_000);
  afterEach(async () => {
    fakedClock?.restore();
    fakedClock = undefined;
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  });

  describe('protocol codecs', () => {
    it('decode every frame the gateway sends and nothing malformed', () => {
      const frames: unknown[] = [
        { type: 'message', id: 1, clientId: 'c', from: 'u', text: 't', sentAt: 1 },
        { type: 'auth_ok', sessionId: 's', expiresAt: 1 },
        { type: 'auth_ok', sessionId: 's', expiresAt: 1, lastId: 0 },
        { type: 'auth_error', reason: 'missing scope' },
        { type: 'auth_expired' },
        { type: 'pong' },
        { type: 'pong', id: 'p' },
        { type: 'accepted', clientId: 'c', id: 1 },
        { type: 'heartbeat' },
        { type: 'draining', closeInMs: 10 },
      ];
      for (const frame of frames) expect(ServerFrame.is(frame), JSON.stringify(frame)).to.equal(true);
      expect(ChatMessage.is({ type: 'message', id: 'not-a-number' })).to.equal(false);
      expect(AuthError.is({ type: 'auth_error', reason: 'nope' })).to.equal(false);
      expect(AuthOk.is({ type: 'auth_ok', sessionId: 's', expiresAt: 1, lastId: '7' })).to.equal(false);
      expect(ServerFrame.is({ type: 'hello' })).to.equal(false);
    });

    it('decode client frames and reject an auth without a string token', () => {
      expect(ClientFrame.is({ type: 'auth', token: 't', resumeFrom: 3 })).to.equal(true);
      expect(ClientFrame.is({ type: 'ping' })).to.equal(true);
      expect(ClientFrame.is({ type: 'send', clientId: 'c', text: 't' })).to.equal(true);
      expect(ClientFrame.is({ type: 'auth' })).to.equal(false);
      expect(ClientFrame.is({ type: 'auth', token: 1 })).to.equal(false);
      expect(ClientFrame.is({ type: 'auth', token: 't', resumeFrom: '3' })).to.equal(false);
    });
  });

  describe('start and tokens', () => {
    it('listens on a random 127.0.0.1 port and reports it in url', async () => {
      const gateway = await startGateway();
      expect(gateway.port).to.be.greaterThan(0);
      expect(gateway.url).to.equal(`ws://127.0.0.1:${gateway.port}`);
      await RawClient.connect(gateway.url);
      await until(() => gateway.connectionCount === 1, 1000, 'the connection');
      expect(gateway.authenticatedCount).to.equal(0);
    });

    it('issues unsigned JWT-shaped tokens with sub, scope, exp in seconds and jti', async () => {
      const gateway = await startGateway({ tokenTtlMs: 60_000 });
      // 1 ms past a whole second: exp (seconds) rounds up.
      const token = withDateAt(Date.UTC(2030, 0, 1, 0, 0, 0, 1), () => gateway.issueToken());
      const parts = token.split('.');
      expect(parts).to.have.length(3);
      expect(parts[2]).to.match(/^[A-Za-z0-9_-]+$/);
      expect(decodePart(parts[0]!)).to.deep.equal({ alg: 'none', typ: 'JWT' });
      const payload = decodePart(parts[1]!);
      expect(payload).to.include({ sub: 'user', scope: 'chat' });
      expect(payload.exp).to.equal(Date.UTC(2030, 0, 1, 0, 1, 1) / 1000);
      expect(payload.jti).to.be.a('string').that.is.not.empty;
      expect(decodePart(gateway.issueToken().split('.')[1]!).jti).to.not.equal(payload.jti);
    });

    it('honours subject, scopes and ttlMs, and auth_ok carries the expiry in epoch ms', async () => {
      const gateway = await startGateway();
      // Frozen at the real time: the token must still be valid when the real clock checks it.
      const issuedAt = Date.now();
      const token = withDateAt(issuedAt, () => gateway.issueToken({ subject: 'alice', scopes: ['chat', 'admin'], ttlMs: 5000 }));
      expect(decodePart(token.split('.')[1]!)).to.include({ sub: 'alice', scope: 'chat admin' });
      const { client, ok } = await authed(gateway, { token });
      expect(ok.sessionId).to.be.a('string').that.is.not.empty;
      expect(ok.expiresAt).to.equal(issuedAt + 5000);
      client.send({ type: 'send', clientId: 'c1', text: 'hi' });
      expect(await client.nextJson()).to.include({ type: 'message', from: 'alice' });
    });
  });

  describe('auth', () => {
    it('authenticates a first auth frame and counts the session', async () => {
      const gateway = await startGateway();
      await authed(gateway);
      expect(gateway.authenticatedCount).to.equal(1);
      expect(gateway.events.map((event) => event.kind)).to.deep.equal(['connect', 'auth_ok']);
    });

    it('stops the auth deadline once authenticated', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ authTimeout: 100 });
      const { client } = await authed(gateway);
      // The control: a connection made at the same virtual time that never authenticates, so with
      // the same deadline. The tick that closes it would also close the first one, were its deadline
      // still armed.
      const late = await RawClient.connect(gateway.url);
      clock.tick(100);
      expect(await late.closed()).to.deep.equal({ code: 4408, reason: 'auth timeout' });
      client.send({ type: 'ping' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong' });
      expect(client.closeInfo).to.equal(undefined);
    });

    it('closes 4408 when no auth frame comes within authTimeout, and not before', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ authTimeout: 100 });
      const client = await RawClient.connect(gateway.url);
      // Connected at the same virtual time, so with the same deadline: it can still authenticate
      // 1 ms before it.
      const control = await RawClient.connect(gateway.url);
      clock.tick(99);
      control.send({ type: 'auth', token: gateway.issueToken() });
      expect((await control.nextJson()).type).to.equal('auth_ok');
      clock.tick(1);
      expect(await client.closed()).to.deep.equal({ code: 4408, reason: 'auth timeout' });
      expect(client.inbox).to.be.empty;
      expect(control.closeInfo).to.equal(undefined);
    });

    const refusals: ReadonlyArray<{
      readonly name: string;
      readonly reason: 'invalid schema' | 'invalid token' | 'missing scope';
      readonly frame: (gateway: ReferenceGateway) => unknown;
    }> = [
      { name: 'a ping as first frame', reason: 'invalid schema', frame: () => ({ type: 'ping' }) },
      { name: 'an unknown type', reason: 'invalid schema', frame: (gw) => ({ type: 'hello', token: gw.issueToken() }) },
      { name: 'a missing token', reason: 'invalid schema', frame: () => ({ type: 'auth' }) },
      { name: 'a non-string token', reason: 'invalid schema', frame: () => ({ type: 'auth', token: 42 }) },
      {
        name: 'a non-number resumeFrom',
        reason: 'invalid schema',
        frame: (gw) => ({ type: 'auth', token: gw.issueToken(), resumeFrom: '1' }),
      },
      { name: 'a JSON array', reason: 'invalid schema', frame: () => [] },
      { name: 'an unknown token', reason: 'invalid token', frame: () => ({ type: 'auth', token: 'a.b.c' }) },
      {
        name: 'a revoked token',
        reason: 'invalid token',
        frame: (gw) => {
          const token = gw.issueToken();
          gw.revokeToken(token);
          return { type: 'auth', token };
        },
      },
      {
        name: 'an expired token',
        reason: 'invalid token',
        frame: (gw) => ({ type: 'auth', token: gw.issueToken({ ttlMs: 0 }) }),
      },
      {
        name: 'a token expired by expireTokens()',
        reason: 'invalid token',
        frame: (gw) => {
          const token = gw.issueToken();
          gw.expireTokens();
          return { type: 'auth', token };
        },
      },
      {
        name: 'a token without the required scope',
        reason: 'missing scope',
        frame: (gw) => ({ type: 'auth', token: gw.issueToken({ scopes: ['read'] }) }),
      },
    ];

    for (const { name, reason, frame } of refusals) {
      it(`closes 1000 with an empty reason and no frame on ${name}`, async () => {
        const gateway = await startGateway();
        const client = await RawClient.connect(gateway.url);
        client.send(frame(gateway));
        expect(await client.closed()).to.deep.equal({ code: 1000, reason: '' });
        expect(client.inbox).to.be.empty;
        expect(gateway.events.find((event) => event.kind === 'auth_fail')).to.include({ detail: reason });
      });
    }

    const explicitCodes = { 'invalid schema': 4400, 'invalid token': 4401, 'missing scope': 4403 } as const;
    for (const reason of ['invalid schema', 'invalid token', 'missing scope'] as const) {
      it(`with explicitErrors sends auth_error '${reason}' then closes ${explicitCodes[reason]}`, async () => {
        const gateway = await startGateway({ explicitErrors: true });
        const client = await RawClient.connect(gateway.url);
        client.send(refusals.find((refusal) => refusal.reason === reason)!.frame(gateway));
        const error = await client.nextJson();
        expect(AuthError.is(error)).to.equal(true);
        expect(error).to.deep.equal({ type: 'auth_error', reason });
        expect(await client.closed()).to.deep.equal({ code: explicitCodes[reason], reason });
      });
    }

    it('requires the configured requiredScope', async () => {
      const gateway = await startGateway({ requiredScope: 'admin' });
      await authed(gateway, { token: gateway.issueToken({ scopes: ['chat', 'admin'] }) });
      const client = await RawClient.connect(gateway.url);
      client.send({ type: 'auth', token: gateway.issueToken({ scopes: ['chat'] }) });
      expect(await client.closed()).to.deep.equal({ code: 1000, reason: '' });
    });

    it('never records a token in events', async () => {
      const gateway = await startGateway({ explicitErrors: true });
      const good = gateway.issueToken();
      const { client } = await authed(gateway, { token: good });
      client.send({ type: 'auth', token: gateway.issueToken() });
      await client.nextJson();
      const revoked = gateway.issueToken();
      gateway.revokeToken(revoked);
      const refused = await RawClient.connect(gateway.url);
      refused.send({ type: 'auth', token: revoked });
      await refused.closed();
      await until(() => gateway.events.some((event) => event.kind === 'close'), 1000, 'the close event');
      const log = JSON.stringify(gateway.events);
      expect(gateway.events.map((event) => event.kind)).to.include.members(['auth_ok', 'reauth_ok', 'auth_fail']);
      for (const token of [good, revoked]) {
        expect(log).to.not.include(token);
        expect(log).to.not.include(token.split('.')[2]);
      }
    });
  });

  describe('frames', () => {
    it('closes 1007 on a first frame that is not JSON', async () => {
      const gateway = await startGateway();
      const client = await RawClient.connect(gateway.url);
      client.send('{not json');
      expect(await client.closed()).to.deep.equal({ code: 1007, reason: 'invalid frame' });
    });

    it('closes 1007 on a binary first frame', async () => {
      const gateway = await startGateway();
      const client = await RawClient.connect(gateway.url);
      client.ws.send(Buffer.from(JSON.stringify({ type: 'auth', token: gateway.issueToken() })));
      expect(await client.closed()).to.deep.equal({ code: 1007, reason: 'invalid frame' });
    });

    it('closes 1007 on invalid JSON after auth', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      client.send('{"type":');
      expect(await client.closed()).to.deep.equal({ code: 1007, reason: 'invalid frame' });
    });

    it('closes 1007 on a binary frame after auth', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      client.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })));
      expect(await client.closed()).to.deep.equal({ code: 1007, reason: 'invalid frame' });
    });

    it('answers ping with pong, echoing the id only when given', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      client.send({ type: 'ping', id: 'p1' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong', id: 'p1' });
      client.send({ type: 'ping' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong' });
    });

    for (const [name, frame] of [
      ['an unknown type', { type: 'subscribe' }],
      ['a send without text', { type: 'send', clientId: 'c1' }],
      ['a ping with a numeric id', { type: 'ping', id: 1 }],
      ['a JSON number', 42],
    ] as const) {
      it(`closes 1008 on ${name} after auth`, async () => {
        const gateway = await startGateway();
        const { client } = await authed(gateway);
        client.send(frame);
        expect(await client.closed()).to.deep.equal({ code: 1008, reason: 'unknown frame' });
        await until(() => gateway.events.some((event) => event.kind === 'close'), 1000, 'the close event');
        expect(gateway.events.find((event) => event.kind === 'close')).to.include({ code: 1008, detail: 'unknown frame' });
      });
    }

    it('closes 1009 on a frame over maxPayload', async () => {
      const gateway = await startGateway({ maxPayload: 1024 });
      const { client } = await authed(gateway);
      client.send({ type: 'send', clientId: 'big', text: 'x'.repeat(2048) });
      expect((await client.closed()).code).to.equal(1009);
      expect(gateway.accepted).to.be.empty;
    });
  });

  describe('send and publish', () => {
    it('broadcasts a send to every session, answers accepted, and numbers ids from 1 across connections', async () => {
      const gateway = await startGateway();
      const alice = (await authed(gateway, { token: gateway.issueToken({ subject: 'alice' }) })).client;
      const bob = (await authed(gateway, { token: gateway.issueToken({ subject: 'bob' }) })).client;
      const sendCalledAt = Date.now();
      alice.send({ type: 'send', clientId: 'c1', text: 'hi' });
      const aliceFrames = [await alice.nextJson(), await alice.nextJson()];
      const receivedAt = Date.now();
      const message = aliceFrames.find((frame) => frame.type === 'message');
      expect(ChatMessage.is(message)).to.equal(true);
      expect(message).to.include({ id: 1, clientId: 'c1', from: 'alice', text: 'hi' });
      // Stamped by the gateway between the send call and the receipt (no bound on how long that took).
      expect((message as ChatMessage).sentAt).to.be.within(sendCalledAt, receivedAt);
      expect(aliceFrames.find((frame) => frame.type === 'accepted')).to.deep.equal({
        type: 'accepted',
        clientId: 'c1',
        id: 1,
      });
      expect(await bob.nextJson()).to.deep.equal(message);

      bob.send({ type: 'send', clientId: 'c1', text: 'yo' });
      const second = await alice.nextJson();
      expect(second).to.include({ type: 'message', id: 2, from: 'bob', text: 'yo' });
      expect(second.sentAt).to.be.at.least((message as ChatMessage).sentAt);
      expect(gateway.accepted).to.deep.equal([
        { subject: 'alice', clientId: 'c1', id: 1, text: 'hi' },
        { subject: 'bob', clientId: 'c1', id: 2, text: 'yo' },
      ]);
    });

    it('does not publish a clientId twice for a subject but answers accepted with the same id', async () => {
      const gateway = await startGateway();
      const { client: sender } = await authed(gateway);
      const { client: reader } = await authed(gateway);
      sender.send({ type: 'send', clientId: 'c1', text: 'once' });
      sender.send({ type: 'send', clientId: 'c1', text: 'once' });
      const frames = [await sender.nextJson(), await sender.nextJson(), await sender.nextJson()];
      expect(frames.filter((frame) => frame.type === 'accepted')).to.deep.equal([
        { type: 'accepted', clientId: 'c1', id: 1 },
        { type: 'accepted', clientId: 'c1', id: 1 },
      ]);
      gateway.publish('marker');
      expect(await reader.nextJson()).to.include({ id: 1, text: 'once' });
      expect(await reader.nextJson()).to.include({ id: 2, text: 'marker' });
      expect(gateway.accepted).to.have.length(1);
      expect(Accepted.is(frames.find((frame) => frame.type === 'accepted'))).to.equal(true);
    });

    it('publish sends the message to authenticated sessions only and returns it', async () => {
      const gateway = await startGateway();
      const { client: member } = await authed(gateway);
      const outsider = await RawClient.connect(gateway.url);
      const message = gateway.publish('news', 'ops');
      expect(message).to.include({ type: 'message', id: 1, from: 'ops', text: 'news' });
      expect(await member.nextJson()).to.deep.equal(message);
      outsider.send({ type: 'auth', token: gateway.issueToken() });
      expect((await outsider.nextJson()).type).to.equal('auth_ok');
      expect(gateway.publish('later').from).to.equal('system');
      expect(await outsider.nextJson()).to.include({ id: 2, text: 'later' });
    });

    it('replays messages after resumeFrom, in order, after auth_ok', async () => {
      const gateway = await startGateway();
      for (const text of ['a', 'b', 'c']) gateway.publish(text);
      const { client } = await authed(gateway, { resumeFrom: 1 });
      expect(await client.nextJson()).to.include({ type: 'message', id: 2, text: 'b' });
      expect(await client.nextJson()).to.include({ type: 'message', id: 3, text: 'c' });
      gateway.publish('d');
      expect(await client.nextJson()).to.include({ id: 4, text: 'd' });
    });

    it("auth_ok carries the server's position (lastId: the newest stored id, 0 before any), on auth and re-auth", async () => {
      const gateway = await startGateway();
      const first = await authed(gateway);
      expect(first.ok.lastId).to.equal(0);
      gateway.publish('a');
      gateway.publish('b');
      const second = await authed(gateway);
      expect(second.ok.lastId).to.equal(2);
      expect(await first.client.nextJson()).to.include({ id: 1 });
      expect(await first.client.nextJson()).to.include({ id: 2 });
      // resuming from the ack's position replays what came after it, and nothing before
      gateway.publish('c');
      const resumed = await authed(gateway, { resumeFrom: second.ok.lastId! });
      expect(resumed.ok.lastId).to.equal(3);
      expect(await resumed.client.nextJson()).to.include({ id: 3, text: 'c' });
      second.client.send({ type: 'auth', token: gateway.issueToken() });
      expect(await second.client.nextJson()).to.include({ type: 'message', id: 3 });
      expect(await second.client.nextJson()).to.include({ type: 'auth_ok', lastId: 3 });
    });

    it('replays nothing without resumeFrom', async () => {
      const gateway = await startGateway();
      gateway.publish('old');
      const { client } = await authed(gateway);
      gateway.publish('new');
      expect(await client.nextJson()).to.include({ id: 2, text: 'new' });
    });

    it('keeps only historySize messages for replay', async () => {
      const gateway = await startGateway({ historySize: 2 });
      for (const text of ['a', 'b', 'c']) gateway.publish(text);
      const { client } = await authed(gateway, { resumeFrom: 0 });
      expect(await client.nextJson()).to.include({ id: 2 });
      expect(await client.nextJson()).to.include({ id: 3 });
      gateway.publish('d');
      expect(await client.nextJson()).to.include({ id: 4 });
    });
  });

  describe('idle and heartbeat', () => {
    it('closes 1001 after idleTimeout without inbound frames, each frame resetting it', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ idleTimeout: 500 });
      // Both authenticated at the same virtual time: the same idle deadline, unless a frame resets it.
      const { client: chatty } = await authed(gateway);
      const { client: silent } = await authed(gateway);
      clock.tick(300);
      chatty.send({ type: 'ping', id: 'at 300 ms' });
      expect(await chatty.nextJson()).to.deep.equal({ type: 'pong', id: 'at 300 ms' });
      clock.tick(199);
      // The gateway marks a session it closes at once, in the tick: neither is closed 1 ms before.
      expect(gateway.authenticatedCount, 'sessions at 499 ms').to.equal(2);
      clock.tick(1);
      expect(gateway.authenticatedCount, 'sessions at 500 ms').to.equal(1);
      expect(await silent.closed()).to.deep.equal({ code: 1001, reason: 'idle timeout' });
      expect(chatty.closeInfo).to.equal(undefined);
      chatty.send({ type: 'ping', id: 'still there' });
      expect(await chatty.nextJson()).to.deep.equal({ type: 'pong', id: 'still there' });
      // Now quiet: closed in turn, idleTimeout after its last frame.
      clock.tick(500);
      expect(await chatty.closed()).to.deep.equal({ code: 1001, reason: 'idle timeout' });
    });

    it('sends heartbeats every serverHeartbeatMs, only after auth', async () => {
      const gateway = await startGateway({ serverHeartbeatMs: 20 });
      const client = await RawClient.connect(gateway.url);
      await sleep(60);
      client.send({ type: 'auth', token: gateway.issueToken() });
      expect((await client.nextJson()).type).to.equal('auth_ok');
      expect(await client.nextJson()).to.deep.equal({ type: 'heartbeat' });
      expect(await client.nextJson()).to.deep.equal({ type: 'heartbeat' });
    });

    it('keeps sending heartbeats while the session is expired', async () => {
      const gateway = await startGateway({ serverHeartbeatMs: 20 });
      const { client } = await authed(gateway);
      gateway.expireTokens();
      let frame = await client.nextJson();
      while (frame.type === 'heartbeat') frame = await client.nextJson();
      expect(frame).to.deep.equal({ type: 'auth_expired' });
      expect(await client.nextJson()).to.deep.equal({ type: 'heartbeat' });
    });

    it('sends no heartbeat by default', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ authTimeout: 10_000 });
      const { client } = await authed(gateway);
      // The control: a connection that never authenticates, closed 4408 by the same tick, which
      // would also have fired a heartbeat timer of any interval up to 10 s (before the idle close at
      // 30 s). Its frame would then come before the pong on this socket.
      const late = await RawClient.connect(gateway.url);
      clock.tick(10_000);
      expect((await late.closed()).code).to.equal(4408);
      client.send({ type: 'ping' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong' });
    });
  });

  describe('expiry and re-auth', () => {
    it('sends auth_expired at the token exp and accepts a re-auth on the same socket', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ reauthGrace: 2000 });
      const { client, ok } = await authed(gateway, { token: gateway.issueToken({ ttlMs: 100 }) });
      expect(ok.expiresAt).to.equal(Date.now() + 100);
      clock.tick(99);
      // The gateway marks a session expired at once, in the tick: not 1 ms before the exp.
      expect(gateway.authenticatedCount, 'sessions at 99 ms').to.equal(1);
      clock.tick(1);
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      expect(gateway.authenticatedCount).to.equal(0);
      client.send({ type: 'auth', token: gateway.issueToken() });
      const renewed = await client.nextJson();
      expect(AuthOk.is(renewed)).to.equal(true);
      expect(renewed.sessionId).to.equal(ok.sessionId);
      expect(renewed.expiresAt).to.be.greaterThan(ok.expiresAt);
      expect(gateway.authenticatedCount).to.equal(1);
      expect(gateway.events.map((event) => event.kind)).to.deep.equal(['connect', 'auth_ok', 'expired', 'reauth_ok']);
      client.send({ type: 'send', clientId: 'c1', text: 'after' });
      expect(await client.nextJson()).to.include({ type: 'message', text: 'after' });
    });

    it('closes 4401 when no re-auth comes within reauthGrace, and not before', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ reauthGrace: 100 });
      const { client } = await authed(gateway, { token: gateway.issueToken({ ttlMs: 100 }) });
      clock.tick(100);
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      clock.tick(99);
      // Pings are answered while expired, and do not extend the grace: closed by now, it would not answer.
      client.send({ type: 'ping', id: 'at 99 ms' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong', id: 'at 99 ms' });
      clock.tick(1);
      expect(await client.closed()).to.deep.equal({ code: 4401, reason: 'token expired' });
    });

    it('holds a send that crosses the expiry notice and accepts it after the re-auth', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.expireTokens();
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      client.send({ type: 'send', clientId: 'c1', text: 'crossed the notice' });
      client.send({ type: 'auth', token: gateway.issueToken() });
      expect(await client.nextJson()).to.include({ type: 'auth_ok' });
      const after = [await client.nextJson(), await client.nextJson()];
      expect(after).to.deep.include({ type: 'accepted', clientId: 'c1', id: 1 });
      expect(gateway.accepted.map((message) => message.clientId)).to.deep.equal(['c1']);
    });

    it('never accepts a send held while expired when the re-auth does not come', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ reauthGrace: 100 });
      const { client } = await authed(gateway);
      gateway.expireTokens();
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      client.send({ type: 'send', clientId: 'c1', text: 'too late' });
      // Answered after the send was read: held (no accepted, no close), within the grace.
      client.send({ type: 'ping', id: 'after the send' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong', id: 'after the send' });
      clock.tick(100);
      expect(await client.closed()).to.deep.equal({ code: 4401, reason: 'token expired' });
      expect(client.unread).to.be.empty;
      expect(gateway.accepted).to.be.empty;
    });

    it('answers pings while expired', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.expireTokens();
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      client.send({ type: 'ping', id: 'p' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong', id: 'p' });
    });

    it('expireTokens() refuses the old token on re-auth', async () => {
      const gateway = await startGateway();
      const token = gateway.issueToken();
      const { client } = await authed(gateway, { token });
      gateway.expireTokens();
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      expect(gateway.events.find((event) => event.kind === 'expired')).to.include({ detail: 'expireTokens' });
      client.send({ type: 'auth', token });
      expect(await client.closed()).to.deep.equal({ code: 1000, reason: '' });
    });

    it('accepts a refresh before expiry and drops the old expiry', async () => {
      const clock = fakeClock();
      const gateway = await startGateway();
      const { client, ok } = await authed(gateway, { token: gateway.issueToken({ ttlMs: 100 }) });
      client.send({ type: 'auth', token: gateway.issueToken({ ttlMs: 1000 }) });
      const renewed = await client.nextJson();
      expect(renewed).to.include({ type: 'auth_ok', sessionId: ok.sessionId, expiresAt: ok.expiresAt + 900 });
      clock.tick(100);
      // Past the old exp: still authenticated, and no auth_expired came before this pong.
      expect(gateway.authenticatedCount, 'sessions at the old exp').to.equal(1);
      client.send({ type: 'ping' });
      expect(await client.nextJson()).to.deep.equal({ type: 'pong' });
      expect(gateway.events.filter((event) => event.kind === 'expired')).to.be.empty;
      // The new exp does end it, on the same clock.
      clock.tick(900);
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      expect(gateway.events.filter((event) => event.kind === 'expired')).to.have.length(1);
    });

    it('refuses a re-auth with another subject', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway, { token: gateway.issueToken({ subject: 'alice' }) });
      client.send({ type: 'auth', token: gateway.issueToken({ subject: 'mallory' }) });
      expect(await client.closed()).to.deep.equal({ code: 1000, reason: '' });
    });

    it('refuses a re-auth with a revoked token', async () => {
      const gateway = await startGateway({ explicitErrors: true });
      const { client } = await authed(gateway);
      const token = gateway.issueToken();
      gateway.revokeToken(token);
      client.send({ type: 'auth', token });
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_error', reason: 'invalid token' });
      expect(await client.closed()).to.deep.equal({ code: 4401, reason: 'invalid token' });
    });

    it('does not send messages to an expired session; a re-auth with resumeFrom replays them', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.expireTokens();
      expect(await client.nextJson()).to.deep.equal({ type: 'auth_expired' });
      gateway.publish('missed');
      client.send({ type: 'auth', token: gateway.issueToken(), resumeFrom: 0 });
      expect((await client.nextJson()).type).to.equal('auth_ok');
      expect(await client.nextJson()).to.include({ type: 'message', id: 1, text: 'missed' });
    });
  });

  describe('faults', () => {
    it('dropAll() terminates every socket: clients see 1006', async () => {
      const gateway = await startGateway();
      const a = (await authed(gateway)).client;
      const b = await RawClient.connect(gateway.url);
      await until(() => gateway.connectionCount === 2, 1000, 'both connections');
      gateway.dropAll();
      expect((await a.closed()).code).to.equal(1006);
      expect((await b.closed()).code).to.equal(1006);
      await until(() => gateway.connectionCount === 0, 1000, 'the gateway to forget them');
      expect(gateway.events.filter((event) => event.kind === 'fault')).to.have.length(2);
      expect(gateway.events.filter((event) => event.kind === 'close').map((event) => event.code)).to.deep.equal([1006, 1006]);
    });

    it('goHalfOpen() makes current connections look dead while new ones work', async () => {
      const clock = fakeClock();
      const gateway = await startGateway({ idleTimeout: 150, serverHeartbeatMs: 20, reauthGrace: 50 });
      const { client: stale } = await authed(gateway, { token: gateway.issueToken({ ttlMs: 100 }) });
      // The control: until the fault, the clock drives this connection's heartbeat.
      clock.tick(20);
      expect(await stale.nextJson()).to.deep.equal({ type: 'heartbeat' });
      gateway.goHalfOpen();
      const seen = stale.inbox.length;
      let transportPongs = 0;
      stale.ws.on('pong', () => transportPongs++);
      stale.send({ type: 'ping', id: 'anyone?' });
      stale.ws.ping();
      gateway.publish('not for you');
      gateway.sendMalformed('json');
      // Past every deadline it had: heartbeats, token exp (100), re-auth grace (+50), idle close (150).
      clock.tick(1_000);
      expect(gateway.connectionCount).to.equal(1);
      expect(gateway.authenticatedCount).to.equal(0);

      // A new connection works. Its round trips are also the barrier for the stale one: whatever the
      // gateway wrote to that socket in the tick, or answered to its pings, was sent before them.
      const { client: fresh } = await authed(gateway);
      fresh.send({ type: 'ping', id: 'hello' });
      expect(await fresh.nextJson()).to.deep.equal({ type: 'pong', id: 'hello' });
      expect(gateway.authenticatedCount).to.equal(1);
      expect(stale.inbox.length).to.equal(seen);
      expect(transportPongs).to.equal(0);
      expect(stale.closeInfo).to.equal(undefined);
      expect(stale.ws.readyState).to.equal(WebSocket.OPEN);
      expect(gateway.connectionCount).to.equal(2);
    });

    it("sendMalformed() defaults to 'json' and sends text that is not JSON", async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.sendMalformed();
      expect(await client.next()).to.deep.equal({ text: '{not json', json: undefined });
    });

    it("sendMalformed('schema') sends a message frame with a string id", async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.sendMalformed('schema');
      const frame = await client.nextJson();
      expect(frame).to.deep.equal({ type: 'message', id: 'not-a-number' });
      expect(ChatMessage.is(frame)).to.equal(false);
    });

    it("sendMalformed('binary') sends a binary frame", async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.sendMalformed('binary');
      expect(await client.next())
        .to.have.property('binary')
        .that.is.instanceOf(Buffer);
    });

    it("sendMalformed('oversized') sends a valid 2 MB message frame that takes no id", async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      gateway.sendMalformed('oversized');
      const frame = await client.nextJson();
      expect(ChatMessage.is(frame)).to.equal(true);
      expect((frame as ChatMessage).text).to.have.length(2 * 1024 * 1024);
      expect(gateway.publish('next').id).to.equal(1);
    });

    it('sendMalformed() spares connections that are not authenticated', async () => {
      const gateway = await startGateway();
      const waiting = await RawClient.connect(gateway.url);
      await until(() => gateway.connectionCount === 1, 1000, 'the connection');
      gateway.sendMalformed('json');
      waiting.send({ type: 'auth', token: gateway.issueToken() });
      expect((await waiting.nextJson()).type).to.equal('auth_ok');
    });

    it('announceDrain() sends draining, then closes authenticated sessions with 1012', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      const waiting = await RawClient.connect(gateway.url);
      await until(() => gateway.connectionCount === 2, 1000, 'both connections');
      gateway.announceDrain(50);
      const draining = await client.nextJson();
      expect(Draining.is(draining)).to.equal(true);
      expect(draining).to.deep.equal({ type: 'draining', closeInMs: 50 });
      expect(await client.closed()).to.deep.equal({ code: 1012, reason: 'service restart' });
      waiting.send({ type: 'auth', token: gateway.issueToken() });
      expect((await waiting.nextJson()).type).to.equal('auth_ok');
      expect(waiting.closeInfo).to.equal(undefined);
    });

    it('restart() drops everyone and listens again on the same port, keeping tokens and history', async () => {
      const gateway = await startGateway();
      const token = gateway.issueToken();
      const { client } = await authed(gateway, { token });
      gateway.publish('before');
      expect(await client.nextJson()).to.include({ id: 1 });
      const { port, url } = gateway;
      await gateway.restart();
      expect((await client.closed()).code).to.equal(1006);
      expect(gateway.port).to.equal(port);
      expect(gateway.url).to.equal(url);
      expect(gateway.connectionCount).to.equal(0);
      const { client: again } = await authed(gateway, { token, resumeFrom: 0 });
      expect(await again.nextJson()).to.include({ id: 1, text: 'before' });
      expect(gateway.publish('after').id).to.equal(2);
    });

    it('restart({ downMs }) refuses connections while down', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      const restarting = gateway.restart({ downMs: 1000 });
      // The gateway stops listening in the step that drops its sockets: once this client saw the
      // drop, the port is down, for 1000 ms from then (room for a stalled loop).
      expect((await client.closed()).code).to.equal(1006);
      const error = (await connectError(gateway.url)) as NodeJS.ErrnoException;
      expect(error.code).to.equal('ECONNREFUSED');
      await restarting;
      await authed(gateway);
    });

    it('close() during a restart ends it without listening again', async () => {
      const gateway = await startGateway();
      const restarting = gateway.restart({ downMs: 5000 });
      await sleep(20);
      await gateway.close();
      await restarting;
      const error = (await connectError(gateway.url)) as NodeJS.ErrnoException;
      expect(error.code).to.equal('ECONNREFUSED');
    });
  });

  describe('events', () => {
    it('record connect, auth_ok and close with the code the gateway closed with', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      client.send({ type: 'nope' });
      await client.closed();
      await until(() => gateway.connectionCount === 0, 1000, 'the gateway to forget it');
      const events = gateway.events;
      expect(events.map((event) => [event.kind, event.connectionId])).to.deep.equal([
        ['connect', 1],
        ['auth_ok', 1],
        ['close', 1],
      ]);
      expect(events[2]).to.include({ code: 1008, detail: 'unknown frame' });
      for (let i = 1; i < events.length; i++) expect(events[i]!.at).to.be.at.least(events[i - 1]!.at);
    });

    it('record a client-initiated close without its reason', async () => {
      const gateway = await startGateway();
      const { client } = await authed(gateway);
      client.ws.close(4000, 'secret-ish reason');
      await client.closed();
      await until(() => gateway.connectionCount === 0, 1000, 'the gateway to forget it');
      const close = gateway.events.find((event) => event.kind === 'close');
      expect(close).to.include({ code: 4000, detail: 'closed by client' });
    });
  });

  describe('cleanup', () => {
    it('clears every timer of a connection when it closes', async () => {
      const gateway = await startGateway({ serverHeartbeatMs: 1000, idleTimeout: 10_000, authTimeout: 10_000 });
      const baseline = countResources().Timeout ?? 0;
      const { client } = await authed(gateway);
      expect(countResources().Timeout ?? 0).to.be.greaterThan(baseline);
      client.ws.terminate();
      await until(() => gateway.connectionCount === 0, 1000, 'the gateway to forget it');
      expect(countResources().Timeout ?? 0).to.equal(baseline);
    });

    it('close() also ends sockets that never upgraded', async () => {
      const gateway = await startGateway();
      const socket = connect(gateway.port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let closed = false;
      socket.once('close', () => (closed = true));
      socket.on('error', () => undefined); // the gateway may reset it
      after(() => socket.destroy());
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await gateway.close();
      await until(() => closed, 1000, 'the raw socket to close');
    });

    it('close() is idempotent and leaves no server, socket or timer behind', async () => {
      await sleep(0); // mocha arms its timeout timer once the test body first yields
      const baseline = countResources();
      const gateway = await startGateway({ serverHeartbeatMs: 1000, authTimeout: 10_000 });
      const { client } = await authed(gateway);
      const pending = await RawClient.connect(gateway.url);
      gateway.announceDrain(10_000);
      await Promise.all([gateway.close(), gateway.close()]);
      await gateway.close();
      expect(gateway.connectionCount).to.equal(0);
      expect(gateway.authenticatedCount).to.equal(0);
      expect((await client.closed()).code).to.equal(1006);
      expect((await pending.closed()).code).to.equal(1006);
      const after = countResources();
      for (const name of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
        expect(after[name] ?? 0, name).to.be.at.most(baseline[name] ?? 0);
      }
      const error = (await connectError(gateway.url)) as NodeJS.ErrnoException;
      expect(error.code).to.equal('ECONNREFUSED');
    });
  });
});
