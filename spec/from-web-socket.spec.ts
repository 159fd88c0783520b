import { expect } from 'chai';
import { filter, lastValueFrom, take, toArray } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { ConnectionClosedError, SocketNotOpenError, WebSocketUnavailableError } from '../lib/errors.js';
import { fromWebSocket } from '../lib/from-web-socket.js';
import type { SocketEvent } from '../lib/socket-event.js';
import type { WebSocketCtor } from '../lib/web-socket-like.js';

const Ctor = WebSocket as unknown as WebSocketCtor;

/** A bare `ws` server on 127.0.0.1 with a random port, recording what it sees. */
async function startServer(onConnection: (socket: WebSocket) => void = () => undefined) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const closes: { code: number; reason: string }[] = [];
  server.on('connection', (socket) => {
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    onConnection(socket);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    server,
    closes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition(), 'condition not reached within 2 s').to.equal(true);
};

describe('fromWebSocket (real ws server on 127.0.0.1)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  afterEach(async () => server?.close());

  it('emits connecting, open and frames, and closes with 1000 on unsubscribe', async () => {
    server = await startServer((socket) => socket.send('{"hello":1}'));
    const events = await lastValueFrom(fromWebSocket(server.url, { WebSocketCtor: Ctor }).pipe(take(3), toArray()));
    expect(events.map((event) => event.type)).to.deep.equal(['connecting', 'open', 'frame']);
    const frame = events[2] as Extract<SocketEvent, { type: 'frame' }>;
    expect(frame.frame.json).to.deep.equal({ hello: 1 });
    await until(() => server.closes.length === 1);
    expect(server.closes[0]!.code).to.equal(1000);
  });

  it('is cold: each subscription opens its own socket', async () => {
    server = await startServer();
    const socket$ = fromWebSocket(server.url, { WebSocketCtor: Ctor }).pipe(filter((event) => event.type === 'open'));
    const a = socket$.subscribe();
    const b = socket$.subscribe();
    await until(() => server.server.clients.size === 2);
    a.unsubscribe();
    b.unsubscribe();
    await until(() => server.closes.length === 2);
  });

  it('errors with ConnectionClosedError carrying code, reason, phase and ms since open', async () => {
    server = await startServer((socket) => setTimeout(() => socket.close(4001, 'bye'), 20));
    const error = await lastValueFrom(fromWebSocket(server.url, { WebSocketCtor: Ctor })).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ConnectionClosedError);
    const closed = error as ConnectionClosedError;
    expect([closed.closeCode, closed.reason, closed.wasClean, closed.phase]).to.deep.equal([4001, 'bye', true, 'ready']);
    expect(closed.msSinceOpen).to.be.a('number').and.to.be.at.least(0);
    expect(closed.message).to.match(/^the connection closed \(4001, "bye"\) while ready, \d+ ms after it opened$/);
  });

  it('reports a refused connection as a close before open (1006, phase connecting)', async () => {
    server = await startServer();
    const { url } = server;
    await server.close();
    const error = (await lastValueFrom(fromWebSocket(url, { WebSocketCtor: Ctor })).catch((e: unknown) => e)) as ConnectionClosedError;
    expect(error).to.be.instanceOf(ConnectionClosedError);
    expect([error.closeCode, error.phase, error.msSinceOpen]).to.deep.equal([1006, 'connecting', undefined]);
    server = await startServer(); // for afterEach
  });

  it('aborts the connect on unsubscribe while CONNECTING without an unhandled error', async () => {
    server = await startServer();
    // Upgrades the server completed, but for the probe's (on /probe) at the end.
    let upgrades = 0;
    server.server.on('connection', (_socket, request) => request.url !== '/probe' && upgrades++);
    const created: WebSocket[] = [];
    const RecordingCtor = class extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        created.push(this);
      }
    } as unknown as WebSocketCtor;
    const subscription = fromWebSocket(server.url, { WebSocketCtor: RecordingCtor }).subscribe();
    subscription.unsubscribe();
    expect(created, 'sockets created').to.have.length(1);
    const [client] = created;
    // The client's own close event ends the attempt: a client that completed the upgrade first
    // (the server's 'connection') would only see it after the closing handshake.
    const closed = await new Promise<number>((resolve) => client!.once('close', (code: number) => resolve(code)));
    expect(closed, 'close code the client saw').to.equal(1006);
    // Let any upgrade still on its way reach the server: a later client's upgrade lands after it.
    const probe = new WebSocket(`${server.url}/probe`);
    await Promise.all([
      new Promise((resolve) => server.server.once('connection', resolve)),
      new Promise((resolve) => probe.once('open', resolve)),
    ]);
    probe.close();
    expect(upgrades, 'upgrades the server completed for the aborted connect').to.equal(0);
  });

  it('never writes to a socket that is not OPEN', async () => {
    server = await startServer();
    let connecting: SocketEvent | undefined;
    const subscription = fromWebSocket(server.url, { WebSocketCtor: Ctor }).subscribe((event) => (connecting ??= event));
    try {
      expect(() => (connecting as Extract<SocketEvent, { type: 'connecting' }>).connection.sendFrame({ early: true })).to.throw(
        SocketNotOpenError,
        /CONNECTING/,
      );
    } finally {
      subscription.unsubscribe();
    }
  });

  it('says how to fix a missing WebSocket implementation', async () => {
    const original = (globalThis as { WebSocket?: unknown }).WebSocket;
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    try {
      const error = await lastValueFrom(fromWebSocket('ws://127.0.0.1:1')).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(WebSocketUnavailableError);
      expect((error as Error).message).to.include("from 'ws'");
    } finally {
      if (original) (globalThis as { WebSocket?: unknown }).WebSocket = original;
    }
    server = await startServer();
  });

  it('rejects a non-positive maxFrameBytes when created', () => {
    expect(() => fromWebSocket('ws://127.0.0.1:1', { maxFrameBytes: 0 })).to.throw(TypeError, /maxFrameBytes/);
  });
});
