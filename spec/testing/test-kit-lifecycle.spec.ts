import { expect } from 'chai';
import { connect as tcpConnect } from 'node:net';
import { WebSocket } from 'ws';
import { ChaosProxy } from '../../lib/testing/chaos-proxy.js';
import { GenericJsonGateway } from '../../lib/testing/protocol-gateways/index.js';
import { ReferenceGateway } from '../../lib/testing/reference-gateway.js';

// Users call the test kit from their own afterEach hooks and fault buttons: overlapping calls and
// calls after close() must finish, and must leave nothing that keeps a test process alive. A hang
// here shows up as a mocha timeout, which is the failure these tests look for (no time asserted).

/** Resolves once `check` holds, polling; rejects after `ms` naming what it waited for. */
async function eventually(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('test kit lifecycle: overlapping calls and calls after close()', () => {
  it('ReferenceGateway: a restart called while another runs waits for it, and the gateway listens afterwards', async () => {
    const gateway = await ReferenceGateway.start();
    try {
      const results = await Promise.allSettled([gateway.restart({ downMs: 50 }), gateway.restart({ downMs: 50 })]);
      expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'fulfilled']);
      const socket = new WebSocket(gateway.url);
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.close();
    } finally {
      await gateway.close();
    }
  });

  it('ReferenceGateway: close() during a long restart does not wait for the downtime', async () => {
    const gateway = await ReferenceGateway.start();
    const restarting = gateway.restart({ downMs: 60_000 }); // longer than this test's timeout
    await gateway.close();
    await restarting;
  });

  it('protocol gateways: close() ends a TCP connection that never finished its WebSocket handshake', async () => {
    const gateway = await GenericJsonGateway.start();
    const socket = tcpConnect(Number(new URL(gateway.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
    const ended = new Promise((resolve) => socket.once('close', resolve));
    await gateway.close();
    await ended;
  });

  it('ChaosProxy: a reset sent by the client during a blackhole reaches the gateway once it is healed', async () => {
    const gateway = await ReferenceGateway.start({ serverHeartbeatMs: 100, idleTimeout: 60_000 });
    const proxy = await ChaosProxy.start({ targetPort: gateway.port });
    try {
      const socket = new WebSocket(proxy.url);
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'auth', token: gateway.issueToken() }));
      await eventually(() => gateway.authenticatedCount === 1, 'the session to authenticate');
      proxy.blackhole();
      (socket as unknown as { _socket: { resetAndDestroy(): void } })._socket.resetAndDestroy();
      await eventually(() => socket.readyState === WebSocket.CLOSED, 'the client socket to close');
      expect(gateway.connectionCount, 'held by the blackhole').to.equal(1);
      proxy.heal();
      await eventually(() => gateway.connectionCount === 0, 'the gateway to see the reset');
      await eventually(() => proxy.links.length === 0, 'the proxy to forget the link');
    } finally {
      await proxy.close();
      await gateway.close();
    }
  });

  it('ChaosProxy: startRandomCuts() after close() starts no timer', async () => {
    const proxy = await ChaosProxy.start({ targetPort: 9 });
    await proxy.close();
    const before = timers();
    const stop = proxy.startRandomCuts({ meanIntervalMs: 50 });
    expect(timers()).to.equal(before);
    stop();
  });
});
