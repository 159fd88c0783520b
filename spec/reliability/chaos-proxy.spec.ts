import { expect } from 'chai';
import { ChaosProxy } from '../../lib/testing/chaos-proxy.js';
import { abortSocket } from '../../lib/testing/chaos/abort-socket.js';
import { seededRandom } from '../../lib/testing/chaos/seeded-random.js';
import { recordingClient, recordingServer, until, type RecordingClient, type RecordingServer } from './tcp-fixtures.js';

describe('ChaosProxy (real TCP on 127.0.0.1)', () => {
  let server: RecordingServer;
  let proxy: ChaosProxy;
  const clients: RecordingClient[] = [];

  const client = async (): Promise<RecordingClient> => {
    const connected = await recordingClient(proxy.port);
    clients.push(connected);
    return connected;
  };

  beforeEach(async () => {
    server = await recordingServer({ echo: true });
    proxy = await ChaosProxy.start({ targetPort: server.port, seed: 42 });
  });

  afterEach(async () => {
    for (const connected of clients.splice(0)) connected.socket.destroy();
    await proxy.close();
    await server.close();
  });

  it('forwards bytes both ways unchanged, and a clean end (FIN) from either side', async () => {
    const a = await client();
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    a.socket.write(payload);
    expect((await a.waitFor(payload.length)).equals(payload)).to.equal(true);
    a.socket.end();
    expect(await a.ended).to.equal('end'); // the server's FIN came back through the proxy
    expect(server.endings[0]).to.equal('end');
    await until(() => proxy.connectionCount === 0, 'the link to be forgotten');
  });

  it('adds latency both ways, holding each chunk in the proxy, and keeps order under jitter', async () => {
    proxy.setLatency(60, 40);
    const a = await client();
    // Without latency a chunk leaves the proxy in the callback it came in (queuedBytes stays 0).
    // Polled every 5 ms: a poll is always due before the proxy's 60+ ms timer, so each hold is seen
    // however loaded the machine is.
    const seen = new Set<string>();
    a.socket.write('x');
    await until(() => {
      const held = proxy.links[0]?.queuedBytes ?? 0;
      const atServer = server.received[0]?.length ?? 0;
      if (held === 1 && atServer === 0) seen.add('held on the way up');
      if (held === 1 && atServer === 1 && a.received().length === 0) seen.add('held on the way back');
      return a.received().length === 1;
    }, 'the echo');
    expect([...seen]).to.deep.equal(['held on the way up', 'held on the way back']);
    const numbers = Array.from({ length: 40 }, (_, i) => `${i};`);
    for (const chunk of numbers) a.socket.write(chunk);
    const expected = `x${numbers.join('')}`;
    expect((await a.waitFor(expected.length)).toString()).to.equal(expected);
    expect(proxy.faults.latency).to.equal(1);
  });

  it('throttles each direction to the given bytes per second', async () => {
    proxy.setThrottle(50_000); // slices of 500 bytes, one per 10 ms and direction
    const a = await client();
    const payload = Buffer.alloc(10_000, 7);
    /**
     * Whether, while `received()` grew to `total`, part of it had arrived while the proxy still held
     * the rest: a trickle, where latency would hold it all and no shaping would pass it at once.
     * Polled every 5 ms, so a poll is always due between two 10 ms slices, on any machine.
     */
    const trickles = async (received: () => number, total: number, what: string): Promise<boolean> => {
      let trickled = false;
      await until(() => {
        const got = received();
        if (got > 0 && got < total && (proxy.links[0]?.queuedBytes ?? 0) > 0) trickled = true;
        return got >= total;
      }, what);
      return trickled;
    };
    a.socket.write(payload);
    expect(await trickles(() => server.received[0]?.length ?? 0, payload.length, 'the payload at the server'), 'up').to.equal(true);
    await a.waitFor(payload.length); // the echo
    server.sockets[0]!.write(payload);
    expect(await trickles(() => a.received().length - payload.length, payload.length, 'the payload at the client'), 'down').to.equal(true);
    proxy.setThrottle(0);
    a.socket.write(payload);
    await a.waitFor(3 * payload.length);
    expect(proxy.faults.throttle).to.equal(1);
  });

  it('cuts a connection with an RST to both sides', async () => {
    const a = await client();
    a.socket.write('hello');
    await a.waitFor(5);
    expect(proxy.cut(proxy.links[0]!.id)).to.equal(true);
    expect(await a.ended).to.equal('ECONNRESET');
    await until(() => server.endings[0] === 'error', 'the server side to see the reset');
    expect(proxy.connectionCount).to.equal(0);
    expect(proxy.faults.cut).to.equal(1);
    expect(proxy.cut(999)).to.equal(false);
  });

  it('blackholes a connection: bytes and the close are held both ways while TCP stays open, and heal releases them in order', async () => {
    const a = await client();
    a.socket.write('before;');
    await a.waitFor(7);
    expect(proxy.blackhole()).to.equal(1);
    a.socket.write('held-1;');
    a.socket.write('held-2;');
    server.sockets[0]!.write('down;');
    await until(() => proxy.links[0]!.queuedBytes === 14 + 5, 'the proxy to hold the bytes');
    a.socket.end(); // the FIN is held too: the server never learns the client left
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.received[0]!.toString()).to.equal('before;');
    expect(server.endings[0]).to.equal('open');
    expect(a.received().toString()).to.equal('before;');
    expect(a.socket.destroyed).to.equal(false);
    expect(proxy.links[0]!.blackholed).to.equal(true);
    expect(proxy.faults.blackhole).to.equal(1);

    proxy.heal();
    await until(() => server.received[0]!.toString() === 'before;held-1;held-2;', 'the held bytes to arrive');
    expect(await a.ended).to.equal('end');
    expect(a.received().toString()).to.equal('before;down;held-1;held-2;');
    expect(server.endings[0]).to.equal('end');
  });

  it('refuses new connections for a while, keeps current ones, then listens again on the same port', async () => {
    const a = await client();
    const port = proxy.port;
    const back = proxy.refuse(150);
    expect(proxy.isRefusing).to.equal(true);
    const refused = await recordingClient(port).then(
      () => 'connected',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
    a.socket.write('still here');
    expect((await a.waitFor(10)).toString()).to.equal('still here');
    await back;
    expect(proxy.isRefusing).to.equal(false);
    expect(proxy.port).to.equal(port);
    const b = await client();
    b.socket.write('again');
    expect((await b.waitFor(5)).toString()).to.equal('again');
    expect(proxy.faults.refuse).to.equal(1);
  });

  it('picks random victims from its seed: the same seed replays the same cuts', async () => {
    const victims = async (seed: number): Promise<number[]> => {
      const seeded = await ChaosProxy.start({ targetPort: server.port, seed });
      const connected = await Promise.all(Array.from({ length: 6 }, () => recordingClient(seeded.port)));
      await until(() => seeded.connectionCount === 6, 'six links');
      const ids = [seeded.cutRandom()!, seeded.cutRandom()!, seeded.cutRandom()!];
      for (const one of connected) one.socket.destroy();
      await seeded.close();
      return ids;
    };
    const first = await victims(7);
    expect(await victims(7)).to.deep.equal(first);
    expect(new Set(first).size).to.equal(3);
    const random = seededRandom(7);
    expect(Array.from({ length: 3 }, random)).to.deep.equal(Array.from({ length: 3 }, seededRandom(7)));
  });

  it('cuts at random intervals until stopped', async () => {
    const connected = await Promise.all([client(), client(), client()]);
    await until(() => proxy.connectionCount === 3, 'three links');
    const stop = proxy.startRandomCuts({ meanIntervalMs: 10 });
    await Promise.all(connected.map((one) => one.ended));
    stop();
    expect(proxy.faults['random-cut']).to.equal(3);
    const late = await client();
    late.socket.write('safe');
    expect((await late.waitFor(4)).toString()).to.equal('safe');
  });

  it('leaves no socket, server or timer behind after close, even mid-refusal and mid-latency', async () => {
    await proxy.close();
    await server.close();
    const before = countResources();
    server = await recordingServer({ echo: true });
    proxy = await ChaosProxy.start({ targetPort: server.port });
    proxy.setLatency(1000);
    const a = await client();
    a.socket.write('in flight');
    void proxy.refuse(10_000);
    proxy.startRandomCuts({ meanIntervalMs: 10_000 });
    await proxy.close();
    await a.ended;
    await server.close();
    await until(() => sameCounts(countResources(), before), 'resources to return to the baseline');
  });

  it('kills a socket whose FIN is still in progress without leaking it (a bare RST would keep the process alive)', async () => {
    await Promise.resolve(); // mocha starts its timeout timer once the test function returned
    const before = countResources();
    const a = await client();
    await until(() => proxy.connectionCount === 1, 'the link');
    a.socket.end(); // the shutdown is now in progress; libuv refuses to reset such a socket
    abortSocket(a.socket);
    await a.ended;
    await until(() => sameCounts(countResources(), before), 'the socket to be released');
  });

  it('rejects nonsense options', async () => {
    await expectRejection(ChaosProxy.start({ targetPort: 0 }), /targetPort/);
    expect(() => proxy.setLatency(-1)).to.throw(TypeError, /setLatency/);
    expect(() => proxy.setThrottle(Number.NaN)).to.throw(TypeError, /setThrottle/);
    expect(() => proxy.startRandomCuts({ meanIntervalMs: 0 })).to.throw(TypeError, /meanIntervalMs/);
  });
});

const RESOURCE_KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (RESOURCE_KINDS.includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  return RESOURCE_KINDS.every((kind) => (a[kind] ?? 0) <= (b[kind] ?? 0));
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).to.be.instanceOf(TypeError);
  expect((outcome as Error).message).to.match(message);
}
