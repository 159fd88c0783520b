import { expect } from 'chai';
import * as t from 'io-ts';
import { AuthClosedError, AuthRejectedError } from '../../lib/errors.js';
import { matchesPattern, toFrameMatcher } from '../../lib/protocols/frame-pattern.js';
import { genericJson, type GenericJsonOptions } from '../../lib/protocols/generic-json.js';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import { ACTION_AUTH_SHAPE, GenericJsonGateway, GUEST_AUTH_SHAPE } from '../../lib/testing/protocol-gateways/generic-json-gateway.js';
import { eventually, FAST_RETRY, NodeWebSocket, reach, recordStates } from './protocol-helpers.js';

describe('genericJson preset', () => {
  describe('frame patterns', () => {
    it('matches by example: listed fields equal, nested objects field by field, extra fields ignored', () => {
      const isAck = matchesPattern({ action: 'auth', status: 'success', meta: { v: 1 } });
      expect(isAck({ action: 'auth', status: 'success', meta: { v: 1, x: 2 }, user: 'u' })).to.equal(true);
      expect(isAck({ action: 'auth', status: 'expired', meta: { v: 1 } })).to.equal(false);
      expect(isAck({ action: 'auth', status: 'success' })).to.equal(false);
      expect(isAck('auth')).to.equal(false);
      expect(isAck(null)).to.equal(false);
      expect(matchesPattern({ list: [1, 2] })({ list: [1, 2] })).to.equal(true);
      expect(matchesPattern({ list: [1, 2] })({ list: [1, 2, 3] })).to.equal(false);
    });

    it('passes codecs and predicates through, and refuses anything else', () => {
      const codec = t.type({ type: t.literal('ok') });
      expect(toFrameMatcher(codec)).to.equal(codec);
      const predicate = () => true;
      expect(toFrameMatcher(predicate)).to.equal(predicate);
      expect(() => toFrameMatcher('ok' as never, 'genericJson: ack')).to.throw(TypeError, /genericJson: ack/);
    });
  });

  describe('options', () => {
    it('builds the auth frame from the template, the token field and the resume id', () => {
      const preset = genericJson({ token: 't', authFrame: { action: 'auth', v: 2 }, tokenField: 'jwt', resumeField: 'since' });
      expect(preset.auth.message('secret', { lastId: undefined })).to.deep.equal({ action: 'auth', v: 2, jwt: 'secret' });
      expect(preset.auth.message('secret', { lastId: 41 })).to.deep.equal({ action: 'auth', v: 2, jwt: 'secret', since: 41 });
    });

    it('turns ping: false into no heartbeat, and rejects nonsense with a TypeError naming the option', () => {
      expect(genericJson({ token: 't', ping: false }).heartbeat).to.equal(false);
      expect(() => genericJson({} as GenericJsonOptions)).to.throw(TypeError, /token is required/);
      expect(() => genericJson({ token: 't', tokenField: '' })).to.throw(TypeError, /tokenField/);
      expect(() => genericJson({ token: 't', authCloseRetries: -1 })).to.throw(TypeError, /authCloseRetries/);
      expect(() => genericJson({ token: 't', ack: 42 as never })).to.throw(TypeError, /ack/);
    });
  });

  describe('{"action":"auth"} shape against a strict gateway', () => {
    let gateway: GenericJsonGateway;
    let session: SocketSession<unknown, unknown> | undefined;

    const actionPreset = (overrides: Partial<GenericJsonOptions> = {}) =>
      genericJson({
        token: () => gateway.issueToken(),
        authFrame: { action: 'auth' },
        ack: { action: 'auth', status: 'success' },
        reject: { action: 'auth', status: 'error' },
        expired: { action: 'auth', status: 'expired' },
        ping: { action: 'ping' },
        pong: { action: 'pong' },
        pingInterval: 1000,
        pongTimeout: 1000,
        authTimeout: 1000,
        retry: FAST_RETRY,
        ...overrides,
      });

    beforeEach(async () => {
      gateway = await GenericJsonGateway.start({ ...ACTION_AUTH_SHAPE, authTimeout: 1000, reauthGrace: 1000 });
    });
    afterEach(async () => {
      session?.close();
      session = undefined;
      await gateway.close();
    });

    it('authenticates, becomes ready on {"action":"auth","status":"success"}, and only then writes queued sends', async () => {
      session = connect({ url: gateway.url, WebSocketCtor: NodeWebSocket, inbound: t.unknown, ...actionPreset() });
      const states = recordStates(session);
      const receipt = session.send({ action: 'say', text: 'hi' });
      expect(receipt.status).to.equal('queued');
      await receipt;
      await eventually(() => gateway.received.length === 1, 'the frame at the gateway');
      expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'ready']);
      expect(gateway.received).to.deep.equal([{ connectionId: 1, frame: { action: 'say', text: 'hi' } }]);
      expect(gateway.events.map((event) => event.kind)).to.deep.equal(['connect', 'auth_ok']);
    });

    it('re-authenticates on the same socket when told {"action":"auth","status":"expired"}', async () => {
      session = connect({ url: gateway.url, WebSocketCtor: NodeWebSocket, inbound: t.unknown, ...actionPreset() });
      const states = recordStates(session);
      session.messages$.subscribe();
      await reach(session, 'ready');
      gateway.expireTokens();
      await eventually(() => gateway.events.some((event) => event.kind === 'reauth_ok'), 'the re-auth');
      await reach(session, 'ready');
      expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'ready', 'reauthenticating', 'ready']);
      expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(1);
      await session.send({ action: 'say', text: 'after re-auth' });
      await eventually(() => gateway.received.length === 1, 'the frame at the gateway');
      expect(gateway.received.map((entry) => entry.frame)).to.deep.equal([{ action: 'say', text: 'after re-auth' }]);
    });

    it('pings on the interval and consumes the pongs (they never reach messages$ or invalid$)', async () => {
      session = connect({ url: gateway.url, WebSocketCtor: NodeWebSocket, inbound: t.unknown, ...actionPreset({ pingInterval: 20 }) });
      const seen: unknown[] = [];
      const invalid: unknown[] = [];
      session.messages$.subscribe((message) => seen.push(message));
      session.invalid$.subscribe((error) => invalid.push(error));
      await eventually(() => gateway.pings >= 3, 'three pings');
      gateway.publish({ action: 'news', text: 'n1' });
      await eventually(() => seen.length === 1, 'the published frame');
      expect(seen).to.deep.equal([{ action: 'news', text: 'n1' }]);
      expect(invalid).to.deep.equal([]);
      expect(session.state.type).to.equal('ready');
    });

    it('ends with AuthRejectedError (the server said why) on an explicit refusal, without the token in the message', async () => {
      const token = 'never-issued-token-123';
      session = connect({ url: gateway.url, WebSocketCtor: NodeWebSocket, inbound: t.unknown, ...actionPreset({ token }) });
      session.messages$.subscribe({ error: () => undefined });
      const closed = await reach(session, 'closed');
      const error = (closed as { error?: unknown }).error;
      expect(error).to.be.instanceOf(AuthRejectedError);
      expect((error as AuthRejectedError).reason).to.equal('invalid token');
      expect((error as Error).message).not.to.include(token);
      expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(1);
    });
  });

  describe('{"type":"auth","guestId"} shape: a wrong schema gets a silent close 1000', () => {
    let gateway: GenericJsonGateway;
    let session: SocketSession<unknown, unknown> | undefined;
    beforeEach(async () => {
      gateway = await GenericJsonGateway.start({ ...GUEST_AUTH_SHAPE, authTimeout: 1000 });
    });
    afterEach(async () => {
      session?.close();
      session = undefined;
      await gateway.close();
    });

    it('retries once with a fresh token, then ends with AuthClosedError and a diagnosis that points at the payload', async () => {
      session = connect({
        url: gateway.url,
        WebSocketCtor: NodeWebSocket,
        inbound: t.unknown,
        ...genericJson({ token: () => gateway.issueToken(), reject: false, ping: false, retry: FAST_RETRY }),
      });
      const states = recordStates(session);
      session.messages$.subscribe({ error: () => undefined });
      const closed = await reach(session, 'closed');
      const error = (closed as { error?: unknown }).error as AuthClosedError;
      expect(error).to.be.instanceOf(AuthClosedError);
      expect(error.closeCode).to.equal(1000);
      expect(error.message).to.match(/before any ack.*rejected the auth payload \(schema, token or scopes\)/);
      expect(gateway.events.filter((event) => event.kind === 'auth_fail').map((event) => event.detail)).to.deep.equal([
        'invalid schema',
        'invalid schema',
      ]);
      expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'reconnecting', 'connecting', 'authenticating', 'closed']);
    });

    it('is acknowledged with the right schema: {"type":"auth","guestId":...,"token":...}', async () => {
      session = connect({
        url: gateway.url,
        WebSocketCtor: NodeWebSocket,
        inbound: t.unknown,
        ...genericJson({
          token: () => gateway.issueToken(),
          authFrame: { type: 'auth', guestId: 'guest-7' },
          reject: false,
          retry: FAST_RETRY,
        }),
      });
      await session.send({ type: 'chat', text: 'hello' });
      await eventually(() => gateway.received.length === 1, 'the frame at the gateway');
      expect(session.state.type).to.equal('ready');
      expect(gateway.received.map((entry) => entry.frame)).to.deep.equal([{ type: 'chat', text: 'hello' }]);
    });

    it('a rejected token is retried with a fresh one and passes (the count resets on the ack)', async () => {
      let calls = 0;
      session = connect({
        url: gateway.url,
        WebSocketCtor: NodeWebSocket,
        inbound: t.unknown,
        ...genericJson({
          // stale, good, stale, good: the second stale one is retried only if the ack reset the count
          token: () => (++calls % 2 === 1 ? 'stale-token' : gateway.issueToken()),
          authFrame: { type: 'auth', guestId: 'guest-7' },
          reject: false,
          retry: FAST_RETRY,
        }),
      });
      session.messages$.subscribe();
      await reach(session, 'ready');
      expect(gateway.events.filter((event) => event.kind === 'auth_fail').map((event) => event.detail)).to.deep.equal(['invalid token']);
      gateway.dropAll();
      await eventually(() => gateway.events.filter((event) => event.kind === 'auth_ok').length === 2, 'the second ack');
      expect(calls).to.equal(4);
      expect(session.state.type).to.equal('ready');
    });
  });
});
