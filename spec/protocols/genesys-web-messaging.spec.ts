import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { AuthRejectedError } from '../../lib/errors.js';
import { GenesysConnectionClosedError, GenesysSessionExpiredError } from '../../lib/protocols/errors.js';
import {
  GENESYS_HEALTH_CHECK_ID,
  GenesysErrorResponse,
  genesysWebMessaging,
  type GenesysOnMessage,
  type GenesysInbound,
  type GenesysText,
  type GenesysWebMessagingOptions,
} from '../../lib/protocols/genesys-web-messaging.js';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import { SendRejectedError } from '../../lib/session/send-rejected-error.js';
import {
  GenesysWebMessagingGateway,
  type GenesysWebMessagingGatewayOptions,
} from '../../lib/testing/protocol-gateways/genesys-web-messaging-gateway.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { eventually, FAST_RETRY, reach, recordStates } from './protocol-helpers.js';

/** A `ws` WebSocket that records every frame the client writes, parsed. */
function spyingWebSocket(sent: Record<string, unknown>[]): WebSocketCtor {
  class SpyingWebSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      sent.push(JSON.parse(String(data)) as Record<string, unknown>);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return SpyingWebSocket as unknown as WebSocketCtor;
}

describe('genesysWebMessaging preset', () => {
  let gateway: GenesysWebMessagingGateway;
  let session: SocketSession<GenesysInbound, GenesysText> | undefined;
  let sent: Record<string, unknown>[];
  const token = randomUUID();

  const start = async (options: GenesysWebMessagingGatewayOptions = {}) => {
    gateway = await GenesysWebMessagingGateway.start({ rateLimit: { messages: 2, perMs: 950 }, ...options });
  };
  const open = (overrides: Partial<GenesysWebMessagingOptions> = {}) => {
    session = connect({
      WebSocketCtor: spyingWebSocket(sent),
      ...genesysWebMessaging({
        url: gateway.url,
        deploymentId: gateway.deploymentId,
        token,
        pingInterval: 0,
        configureTimeout: 1000,
        retry: FAST_RETRY,
        ...overrides,
      }),
    });
    return session;
  };
  const connects = () => gateway.events.filter((event) => event.kind === 'connect').length;

  beforeEach(() => {
    sent = [];
  });
  afterEach(async () => {
    session?.close();
    session = undefined;
    await gateway?.close();
  });

  describe('options', () => {
    it('builds the regional endpoint, and refuses a missing deployment, a token that is not a uuid, or a keepalive under 30 s', () => {
      expect(genesysWebMessaging({ region: 'mypurecloud.ie', deploymentId: 'd-1', token }).url).to.equal(
        'wss://webmessaging.mypurecloud.ie/v1?deploymentId=d-1',
      );
      expect(() => genesysWebMessaging({ region: 'r', deploymentId: '', token })).to.throw(TypeError, /deploymentId/);
      expect(() => genesysWebMessaging({ region: 'r', deploymentId: 'd', token: 'secret-not-uuid' }))
        .to.throw(TypeError, /token must be a session uuid/)
        .and.not.match(/secret-not-uuid/);
      expect(() => genesysWebMessaging({ deploymentId: 'd', token })).to.throw(TypeError, /region is required/);
      expect(() => genesysWebMessaging({ region: 'r', deploymentId: 'd', token, pingInterval: 5000 })).to.throw(
        TypeError,
        /at least 30000/,
      );
    });

    it('echoes every 31 s by default: a second above the Genesys limit, so network jitter cannot make one early', () => {
      const preset = genesysWebMessaging({ region: 'r', deploymentId: 'd', token });
      expect(preset.heartbeat && preset.heartbeat.interval).to.equal(31_000);
      expect(genesysWebMessaging({ region: 'r', deploymentId: 'd', token, pingInterval: 30_000 }).heartbeat).to.include({
        interval: 30_000,
      });
    });
  });

  describe('against a strict gateway', () => {
    it('sends configureSession first and is ready on SessionResponse 200', async () => {
      await start();
      const states = recordStates(open());
      session!.messages$.subscribe();
      await reach(session!, 'ready');
      expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'ready']);
      expect(sent[0]).to.deep.equal({ action: 'configureSession', deploymentId: gateway.deploymentId, token });
      expect(gateway.events.filter((event) => event.kind === 'configure').map((event) => event.detail)).to.deep.equal(['new']);
    });

    it('sends onMessage with the session token and a customMessageId; the echo acknowledges the receipt', async () => {
      await start();
      const seen: GenesysInbound[] = [];
      open().messages$.subscribe((frame) => seen.push(frame));
      const receipt = session!.send({ text: 'hello', id: 'c-1' });
      await receipt;
      expect(receipt.status).to.equal('acknowledged');
      expect(sent[1]).to.deep.equal({
        action: 'onMessage',
        token,
        message: { type: 'Text', text: 'hello', metadata: { customMessageId: 'c-1' } },
      });
      expect(gateway.accepted.map((message) => [message.text, message.customMessageId])).to.deep.equal([['hello', 'c-1']]);
      gateway.agentSays('Hi, how can I help?');
      await eventually(() => seen.length === 2, 'the echo and the agent message');
      expect(seen.map((frame) => (frame.body as { direction?: string }).direction)).to.deep.equal(['Inbound', 'Outbound']);
    });

    it('generates a customMessageId when the app gives none', async () => {
      await start();
      open().messages$.subscribe();
      await session!.send({ text: 'no id' });
      expect(gateway.accepted[0]!.customMessageId).to.be.a('string').and.not.equal('');
    });

    it('paces sends at 2 per second: none refused by the server', async () => {
      await start();
      open().messages$.subscribe();
      await Promise.all(['a', 'b', 'c'].map((text) => session!.send({ text })));
      expect(gateway.accepted.map((message) => message.text)).to.deep.equal(['a', 'b', 'c']);
      expect(gateway.tooManyRequests).to.equal(0);
    });

    it('on 429 TooManyRequestsErrorMessage waits retryAfter and re-sends: delayed, in order, never dropped', async () => {
      await start({ retryAfterSeconds: 0.1, rateLimit: { messages: 2, perMs: 300 } });
      open({ rateLimit: false }).messages$.subscribe();
      const texts = ['m1', 'm2', 'm3', 'm4', 'm5'];
      const receipts = texts.map((text) => session!.send({ text }));
      await Promise.all(receipts);
      expect(gateway.tooManyRequests).to.be.greaterThan(0);
      expect(gateway.accepted.map((message) => message.text)).to.deep.equal(texts);
      expect(receipts.map((receipt) => receipt.status)).to.deep.equal(texts.map(() => 'acknowledged'));
      expect(session!.state.type).to.equal('ready');
    });

    it('gives up a message refused with 4011 (too long): SendRejectedError, and it is not re-sent after a reconnect', async () => {
      await start({ maxTextLength: 10 });
      const seen: GenesysInbound[] = [];
      open().messages$.subscribe((frame) => seen.push(frame));
      const tooLong = session!.send({ text: 'x'.repeat(11), id: 'long-1' });
      const fine = session!.send({ text: 'short', id: 'short-1' });
      const error = await tooLong.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      await fine;
      expect(error).to.be.instanceOf(SendRejectedError).and.to.include({ serverCode: 4011 });
      expect((error as Error).message)
        .to.include('message too long')
        .and.not.include(token);
      expect(session!.pending).to.equal(0);
      // the app still sees the error frame
      expect(seen.some((frame) => GenesysErrorResponse.is(frame) && frame.code === 4011)).to.equal(true);
      gateway.dropAll();
      await reach(session!, 'reconnecting');
      await reach(session!, 'ready');
      await session!.send({ text: 'after', id: 'after-1' });
      const written = sent
        .filter((frame) => frame['action'] === 'onMessage')
        .map((frame) => (frame as unknown as GenesysOnMessage).message.metadata.customMessageId);
      expect(written).to.deep.equal(['long-1', 'short-1', 'after-1']);
    });

    it('reconnects after a drop with configureSession and the same token; the server finds the session', async () => {
      await start();
      open().messages$.subscribe();
      await reach(session!, 'ready');
      gateway.dropAll();
      await reach(session!, 'reconnecting');
      const receipt = session!.send({ text: 'during the outage' });
      await receipt;
      const configures = sent.filter((frame) => frame['action'] === 'configureSession');
      expect(configures).to.deep.equal([
        { action: 'configureSession', deploymentId: gateway.deploymentId, token },
        { action: 'configureSession', deploymentId: gateway.deploymentId, token },
      ]);
      expect(gateway.events.filter((event) => event.kind === 'configure').map((event) => event.detail)).to.deep.equal(['new', 'existing']);
      expect(gateway.accepted.map((message) => [message.text, message.connectionId])).to.deep.equal([['during the outage', 2]]);
    });

    it('ends with AuthRejectedError on a 403 (unknown deployment), with a hint and without the token', async () => {
      await start();
      open({ deploymentId: 'wrong-deployment' }).messages$.subscribe({ error: () => undefined });
      const closed = await reach(session!, 'closed');
      const error = (closed as { error?: unknown }).error as AuthRejectedError;
      expect(error).to.be.instanceOf(AuthRejectedError);
      expect(error.reason).to.match(/^403 forbidden: check the deploymentId/);
      expect(error.message).not.to.include(token);
      expect(connects()).to.equal(1);
    });

    it('ends with GenesysSessionExpiredError on SessionExpiredEvent (no reconnect); the token is refused with 4006 afterwards', async () => {
      await start();
      open().messages$.subscribe({ error: () => undefined });
      await reach(session!, 'ready');
      gateway.expireSessions();
      const closed = await reach(session!, 'closed');
      expect((closed as { error?: unknown }).error).to.be.instanceOf(GenesysSessionExpiredError);
      session!.close();

      open().messages$.subscribe({ error: () => undefined });
      const refused = await reach(session!, 'closed');
      const error = (refused as { error?: unknown }).error as AuthRejectedError;
      expect(error).to.be.instanceOf(AuthRejectedError);
      expect(error.reason).to.match(/^4006 session expired: start a new session/);
      expect(connects()).to.equal(2);
    });

    it('treats ConnectionClosedEvent as final: GenesysConnectionClosedError with the reason, no reconnect', async () => {
      await start();
      open().messages$.subscribe({ error: () => undefined });
      await reach(session!, 'ready');
      gateway.endSessions('conversationCleared');
      const closed = await reach(session!, 'closed');
      const error = (closed as { error?: unknown }).error as GenesysConnectionClosedError;
      expect(error).to.be.instanceOf(GenesysConnectionClosedError);
      expect(error.reason).to.equal('conversationCleared');
      await eventually(() => gateway.connectionCount === 0, 'the socket to close');
      expect(connects()).to.equal(1);
    });

    it('keeps alive with echo frames no faster than allowed; the echo answers are consumed', async () => {
      await start({ minEchoInterval: 30 });
      const seen: unknown[] = [];
      open({ pingInterval: 40, allowFastPing: true }).messages$.subscribe((frame) => seen.push(frame));
      await eventually(() => gateway.echoes >= 3, 'three echoes');
      expect(gateway.echoViolations).to.equal(0);
      expect(sent.find((frame) => frame['action'] === 'echo')).to.deep.equal({
        action: 'echo',
        token,
        message: { type: 'Text', text: 'ping', metadata: { customMessageId: GENESYS_HEALTH_CHECK_ID } },
      });
      expect(seen).to.deep.equal([]);
    });
  });
});
