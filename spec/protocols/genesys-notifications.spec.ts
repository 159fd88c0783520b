import { expect } from 'chai';
import { HeartbeatTimeoutError, RetryExhaustedError } from '../../lib/errors.js';
import {
  genesysNotifications,
  type GenesysNotification,
  type GenesysNotificationsOptions,
} from '../../lib/protocols/genesys-notifications.js';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import { ServerDrainingError } from '../../lib/session/errors.js';
import type { SessionState } from '../../lib/session/session-state.js';
import { GenesysNotificationsGateway } from '../../lib/testing/protocol-gateways/genesys-notifications-gateway.js';
import { eventually, FAST_RETRY, NodeWebSocket, reach, until } from './protocol-helpers.js';

describe('genesysNotifications preset', () => {
  let gateway: GenesysNotificationsGateway;
  let session: SocketSession<GenesysNotification, unknown> | undefined;
  let channelUrl: string;

  const open = (overrides: Partial<GenesysNotificationsOptions> = {}) => {
    session = connect({
      WebSocketCtor: NodeWebSocket,
      ...genesysNotifications({ channelUrl, heartbeatInterval: 30, retry: FAST_RETRY, ...overrides }),
    });
    return session;
  };
  const reconnectingCause = async (): Promise<unknown> =>
    ((await until(session!.state$, (state) => state.type === 'reconnecting')) as Extract<SessionState, { type: 'reconnecting' }>).cause;

  beforeEach(async () => {
    gateway = await GenesysNotificationsGateway.start({ heartbeatInterval: 30 });
    channelUrl = gateway.createChannel();
  });
  afterEach(async () => {
    session?.close();
    session = undefined;
    await gateway.close();
  });

  it('is ready on open (no auth frame), delivers notifications, and consumes the heartbeats', async () => {
    const seen: GenesysNotification[] = [];
    open().messages$.subscribe((event) => seen.push(event));
    await reach(session!, 'ready');
    await eventually(() => gateway.heartbeats >= 3, 'three heartbeats');
    gateway.publish('v2.users.u1.presence', { presenceDefinition: { systemPresence: 'Available' } });
    await eventually(() => seen.length === 1, 'the notification');
    expect(seen[0]).to.deep.include({
      topicName: 'v2.users.u1.presence',
      eventBody: { presenceDefinition: { systemPresence: 'Available' } },
    });
    expect(session!.state.type).to.equal('ready');
  });

  it('notices a server gone silent (maxSilence) and reconnects', async () => {
    open().messages$.subscribe();
    await reach(session!, 'ready');
    gateway.goSilent();
    const cause = await reconnectingCause();
    expect(cause).to.be.instanceOf(HeartbeatTimeoutError);
    expect((cause as HeartbeatTimeoutError).mode).to.equal('silence');
    expect((cause as HeartbeatTimeoutError).timeout).to.equal(60);
    await reach(session!, 'ready');
    expect(gateway.events.filter((event) => event.kind === 'connect')).to.have.length(2);
  });

  it('reconnects proactively on v2.system.socket_closing, one socket at a time, before the planned close', async () => {
    open().messages$.subscribe();
    await reach(session!, 'ready');
    gateway.announceClosing(5000);
    expect(await reconnectingCause()).to.be.instanceOf(ServerDrainingError);
    await reach(session!, 'ready');
    expect(gateway.overlaps).to.equal(0);
    // the old socket was closed by the client (1000), not by the server's planned 1001
    await eventually(() => gateway.events.some((event) => event.kind === 'close'), 'the old socket to close');
    const closes = gateway.events.filter((event) => event.kind === 'close');
    expect(closes.map((event) => [event.connectionId, event.code, event.detail])).to.deep.equal([[1, 1000, 'closed by client']]);
    expect(gateway.connectionCount).to.equal(1);
  });

  it('pings with {"message":"ping"} when asked, and consumes the pongs', async () => {
    const seen: unknown[] = [];
    open({ pingInterval: 20, heartbeatInterval: 1000 }).messages$.subscribe((event) => seen.push(event));
    await eventually(() => gateway.pings >= 3, 'three pings');
    expect(seen).to.deep.equal([]);
    expect(session!.state.type).to.equal('ready');
  });

  it('keeps the channel URL (the credential) out of every error', async () => {
    expect(() => genesysNotifications({ channelUrl: 'streaming-0-secret-channel' }))
      .to.throw(TypeError, /connectUri/)
      .and.not.match(/secret-channel/);
    const unknownChannel = channelUrl.replace(/streaming-0-[^/]+$/, 'streaming-0-unknown-secret');
    session = connect({
      WebSocketCtor: NodeWebSocket,
      ...genesysNotifications({ channelUrl: unknownChannel, retry: { ...FAST_RETRY, maxAttempts: 1 } }),
    });
    session.messages$.subscribe({ error: () => undefined });
    const closed = await reach(session, 'closed');
    const error = (closed as { error?: unknown }).error as RetryExhaustedError;
    expect(error).to.be.instanceOf(RetryExhaustedError);
    for (const message of [error.message, (error.cause as Error).message, JSON.stringify(error)]) {
      expect(message).not.to.include('unknown-secret');
      expect(message).not.to.include('127.0.0.1');
    }
  });
});
