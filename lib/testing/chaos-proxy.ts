import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { abortSocket } from './chaos/abort-socket.js';
import { Lane } from './chaos/lane.js';
import { seededRandom } from './chaos/seeded-random.js';

/**
 * Options of {@link ChaosProxy.start}.
 *
 * @example
 * const proxy = await ChaosProxy.start({ targetPort: gateway.port, seed: Number(process.env.CHAOS_SEED ?? 1) });
 */
export interface ChaosProxyOptions {
  /** Port of the server to forward to, on 127.0.0.1. */
  readonly targetPort: number;
  /**
   * Host of the server to forward to.
   * @default '127.0.0.1'
   */
  readonly targetHost?: string;
  /**
   * Port to listen on (host is always 127.0.0.1); 0 picks a free one. Kept across {@link ChaosProxy.refuse}.
   * @default 0
   */
  readonly port?: number;
  /**
   * Seed of the random generator behind latency jitter and random cuts: the same seed replays the
   * same choices.
   * @default 1
   */
  readonly seed?: number;
}

/**
 * Options of {@link ChaosProxy.startRandomCuts}.
 *
 * @example
 * const stopCuts = proxy.startRandomCuts({ meanIntervalMs: 500 }); // a cut every 0.5 s on average
 * // ... later
 * stopCuts();
 */
export interface RandomCutsOptions {
  /** Mean time between two cuts, in ms (the gaps are drawn uniformly in `[0, 2 * mean]`). */
  readonly meanIntervalMs: number;
}

/**
 * The faults a {@link ChaosProxy} injects, as counted in {@link ChaosProxy.faults}.
 *
 * @example
 * const kind: ChaosFaultKind = 'blackhole';
 * expect(proxy.faults[kind]).to.equal(1);
 */
export type ChaosFaultKind = 'cut' | 'random-cut' | 'blackhole' | 'refuse' | 'latency' | 'throttle';

/**
 * A proxied connection, as {@link ChaosProxy.links} lists it.
 *
 * @example
 * const stuck: ChaosLinkInfo[] = proxy.links.filter((link) => link.blackholed);
 * console.log(stuck.map((link) => `${link.id}: ${link.queuedBytes} bytes held`));
 */
export interface ChaosLinkInfo {
  /** Numbered from 1 in order of arrival. */
  readonly id: number;
  /** Whether a blackhole holds its traffic. */
  readonly blackholed: boolean;
  /** Bytes waiting in the proxy, both directions. */
  readonly queuedBytes: number;
}

const HOST = '127.0.0.1';
const LISTEN_RETRY_MS = 2000;
const LISTEN_RETRY_STEP_MS = 25;

/**
 * A fault-injecting TCP proxy for tests, on 127.0.0.1 in front of any server (a WebSocket gateway,
 * for instance): added latency with jitter, a bandwidth throttle, abrupt cuts (RST to both
 * sides), blackholes (half-open: bytes and closes held, TCP left open), refusal of new connections
 * for a while, and random cuts drawn from a seeded generator so a failing run can be replayed.
 * It speaks TCP only, so it never corrupts a WebSocket frame; it delays, holds or kills them.
 *
 * @example
 * const gateway = await ReferenceGateway.start();
 * const proxy = await ChaosProxy.start({ targetPort: gateway.port, seed: 7 });
 * const session = connect({
 *   url: proxy.url, // through the proxy
 *   inbound: ChatMessage,
 *   token: () => gateway.issueToken(),
 *   auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
 * });
 * session.messages$.subscribe();
 * proxy.setLatency(50, 20);
 * proxy.cutAll(); // the session sees a 1006 and reconnects through the proxy
 * session.close();
 * await proxy.close();
 * await gateway.close();
 */
export class ChaosProxy {
  /** The port the proxy listens on; it keeps it across {@link refuse}. */
  port = 0;
  /** The generator behind the choice of connection to cut or blackhole; seeded, so runs replay. */
  readonly random: () => number;
  private readonly jitterRandom: () => number;
  private readonly cutGapRandom: () => number;

  private readonly counts: Record<ChaosFaultKind, number> = {
    cut: 0,
    'random-cut': 0,
    blackhole: 0,
    refuse: 0,
    latency: 0,
    throttle: 0,
  };
  private readonly linkMap = new Map<number, Link>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private server: Server | undefined;
  private lastLinkId = 0;
  private accepted = 0;
  private latencyMs = 0;
  private jitterMs = 0;
  private bytesPerSecond = 0;
  private refusing: Promise<void> | undefined;
  private closed = false;
  private readonly targetHost: string;
  private readonly targetPort: number;

  private constructor(options: ChaosProxyOptions) {
    this.targetHost = options.targetHost ?? HOST;
    this.targetPort = options.targetPort;
    this.random = seededRandom(options.seed ?? 1);
    // Separate streams: jitter is drawn per chunk of traffic and cut gaps per cut, so sharing one
    // generator would make the connection choices depend on how much traffic flowed.
    this.jitterRandom = seededRandom((options.seed ?? 1) + 7_919);
    this.cutGapRandom = seededRandom((options.seed ?? 1) + 104_729);
  }

  /** Starts a proxy to `targetPort` and resolves once it listens. */
  static async start(options: ChaosProxyOptions): Promise<ChaosProxy> {
    if (!(Number.isInteger(options?.targetPort) && options.targetPort > 0)) {
      throw new TypeError('ChaosProxy: targetPort must be the port of the server to forward to');
    }
    const proxy = new ChaosProxy(options);
    await proxy.listen(options.port ?? 0);
    return proxy;
  }

  /** `ws://127.0.0.1:<port>`, for WebSocket clients. */
  get url(): string {
    return `ws://${HOST}:${this.port}`;
  }

  /** Connections currently proxied (including half-open ones). */
  get connectionCount(): number {
    return this.linkMap.size;
  }

  /** Connections accepted since the start. */
  get acceptedCount(): number {
    return this.accepted;
  }

  /** The connections currently proxied. */
  get links(): ChaosLinkInfo[] {
    return [...this.linkMap.values()].map((link) => ({
      id: link.id,
      blackholed: link.up.isHeld,
      queuedBytes: link.up.queuedBytes + link.down.queuedBytes,
    }));
  }

  /** How many faults of each kind were injected (a cut counts once per connection cut). */
  get faults(): Readonly<Record<ChaosFaultKind, number>> {
    return { ...this.counts };
  }

  /** Whether new connections are refused right now. */
  get isRefusing(): boolean {
    return this.refusing !== undefined;
  }

  /**
   * Delays every chunk, both directions, by `ms` plus a seeded random `[0, jitterMs]`, keeping
   * order. Applies to chunks arriving from now on; 0 turns it off.
   */
  setLatency(ms: number, jitterMs = 0): void {
    if (!(ms >= 0 && jitterMs >= 0)) throw new TypeError('ChaosProxy.setLatency: ms and jitterMs must be numbers >= 0');
    this.latencyMs = ms;
    this.jitterMs = jitterMs;
    if (ms > 0 || jitterMs > 0) this.counts.latency++;
  }

  /** Limits each direction of each connection to `bytesPerSecond`; 0 lifts the limit. */
  setThrottle(bytesPerSecond: number): void {
    if (!(bytesPerSecond >= 0)) throw new TypeError('ChaosProxy.setThrottle: bytesPerSecond must be a number >= 0');
    this.bytesPerSecond = bytesPerSecond;
    if (bytesPerSecond > 0) this.counts.throttle++;
  }

  /** Cuts one connection abruptly: an RST to both sides, queued bytes lost. `false` if it is gone. */
  cut(id: number): boolean {
    const link = this.linkMap.get(id);
    if (!link) return false;
    this.counts.cut++;
    this.destroyLink(link);
    return true;
  }

  /** Cuts every connection (RST both sides); returns how many. */
  cutAll(): number {
    const all = [...this.linkMap.values()];
    for (const link of all) {
      this.counts.cut++;
      this.destroyLink(link);
    }
    return all.length;
  }

  /** Cuts one connection chosen by the seeded generator; its id, or `undefined` when there is none. */
  cutRandom(): number | undefined {
    const link = this.pick();
    if (!link) return undefined;
    this.counts['random-cut']++;
    this.destroyLink(link);
    return link.id;
  }

  /**
   * Blackholes one connection (or, without `id`, every current one): from now on its bytes, both
   * ways, and its closes are held while both TCP connections stay open, as on a half-open link.
   * Neither side notices until its own timeout. Returns how many connections were affected.
   */
  blackhole(id?: number): number {
    const targets = id === undefined ? [...this.linkMap.values()] : [this.linkMap.get(id)].filter(isLink);
    let affected = 0;
    for (const link of targets) {
      if (link.up.isHeld) continue;
      link.up.hold();
      link.down.hold();
      this.counts.blackhole++;
      affected++;
    }
    return affected;
  }

  /** Blackholes one connection chosen by the seeded generator; its id, or `undefined`. */
  blackholeRandom(): number | undefined {
    const candidates = [...this.linkMap.values()].filter((link) => !link.up.isHeld);
    if (candidates.length === 0) return undefined;
    const link = candidates[Math.floor(this.random() * candidates.length)]!;
    this.blackhole(link.id);
    return link.id;
  }

  /** Lifts the blackhole of one connection (or all): held bytes flow again, in order. */
  heal(id?: number): void {
    const targets = id === undefined ? [...this.linkMap.values()] : [this.linkMap.get(id)].filter(isLink);
    for (const link of targets) {
      link.up.release();
      link.down.release();
    }
  }

  /**
   * Stops listening for `ms`, so new connections are refused (ECONNREFUSED) while current ones go
   * on; resolves once the proxy listens again on the same port.
   */
  refuse(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new TypeError('ChaosProxy.refuse: ms must be a number >= 0');
    if (this.refusing || this.closed) return this.refusing ?? Promise.resolve();
    this.counts.refuse++;
    const server = this.server;
    this.server = undefined;
    server?.close();
    const run = (async () => {
      await this.sleep(ms);
      if (!this.closed) await this.listen(this.port);
    })();
    this.refusing = run.finally(() => {
      this.refusing = undefined;
    });
    return this.refusing;
  }

  /**
   * Cuts a connection picked by the seeded generator at random intervals (uniform in
   * `[0, 2 * meanIntervalMs]`) until the returned function is called or the proxy closes.
   */
  startRandomCuts(options: RandomCutsOptions): () => void {
    const { meanIntervalMs } = options;
    if (!(meanIntervalMs > 0)) throw new TypeError('ChaosProxy.startRandomCuts: meanIntervalMs must be a number > 0');
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      timer = this.setTimer(2 * meanIntervalMs * this.cutGapRandom(), () => {
        this.cutRandom();
        next();
      });
    };
    next();
    return () => this.clearTimer(timer);
  }

  /** Stops listening, resets every connection, cancels every timer. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return this.refusing?.catch(() => undefined);
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const link of [...this.linkMap.values()]) this.destroyLink(link);
    const server = this.server;
    this.server = undefined;
    await Promise.all([
      this.refusing?.catch(() => undefined),
      server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined,
    ]);
  }

  // -------------------------------------------------------------------------------------------

  private onConnection(client: Socket): void {
    this.accepted++;
    if (this.closed) {
      abortSocket(client);
      return;
    }
    const upstream = tcpConnect({ host: this.targetHost, port: this.targetPort, allowHalfOpen: true });
    const shaping = {
      delay: () => this.latencyMs + (this.jitterMs > 0 ? this.jitterRandom() * this.jitterMs : 0),
      bytesPerSecond: () => this.bytesPerSecond,
    };
    const link: Link = {
      id: ++this.lastLinkId,
      client,
      upstream,
      up: new Lane(upstream, shaping),
      down: new Lane(client, shaping),
      open: 2,
    };
    this.linkMap.set(link.id, link);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (data: Buffer) => link.up.push(data));
    upstream.on('data', (data: Buffer) => link.down.push(data));
    client.on('end', () => link.up.end());
    upstream.on('end', () => link.down.end());
    // Errors surface as 'close' with hadError; the other side is reset below.
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('close', (hadError) => this.onSideClosed(link, link.up, upstream, hadError));
    upstream.on('close', (hadError) => this.onSideClosed(link, link.down, client, hadError));
  }

  /** One side is gone: an error (reset) travels on as a reset, once the blackhole (if any) is healed. */
  private onSideClosed(link: Link, towardsPeer: Lane, peer: Socket, hadError: boolean): void {
    link.open--;
    if (link.open === 0) {
      this.forget(link);
      return;
    }
    // Nothing can reach the closed side any more: queue nothing for it.
    (towardsPeer === link.up ? link.down : link.up).dispose();
    if (!hadError) return;
    const passReset = () => {
      this.forget(link);
      abortSocket(peer);
    };
    if (towardsPeer.isHeld) towardsPeer.holdReset(passReset);
    else passReset();
  }

  private destroyLink(link: Link): void {
    this.forget(link);
    abortSocket(link.client);
    abortSocket(link.upstream);
  }

  private forget(link: Link): void {
    link.up.dispose();
    link.down.dispose();
    this.linkMap.delete(link.id);
  }

  private pick(): Link | undefined {
    const all = [...this.linkMap.values()];
    if (all.length === 0) return undefined;
    return all[Math.floor(this.random() * all.length)];
  }

  /** Listens on `port`, retrying briefly while the port is still in use (right after a refusal). */
  private async listen(port: number): Promise<void> {
    const deadline = Date.now() + LISTEN_RETRY_MS;
    for (;;) {
      const server = createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, HOST, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() >= deadline) throw error;
        await this.sleep(LISTEN_RETRY_STEP_MS);
        if (this.closed) return;
        continue;
      }
      if (this.closed) {
        server.close();
        return;
      }
      this.server = server;
      this.port = (server.address() as AddressInfo).port;
      return;
    }
  }

  /** A wait that {@link close} cuts short, so closing never hangs on a refusal in progress. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const wake = () => {
        this.clearTimer(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.setTimer(ms, wake);
      this.sleepers.add(wake);
    });
  }

  private setTimer(ms: number, run: () => void): NodeJS.Timeout | undefined {
    if (this.closed) return undefined; // close() cleared the timers: none may start after it
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }
}

interface Link {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  /** Client to server. */
  readonly up: Lane;
  /** Server to client. */
  readonly down: Lane;
  /** Sides not yet closed. */
  open: number;
}

function isLink(link: Link | undefined): link is Link {
  return link !== undefined;
}
