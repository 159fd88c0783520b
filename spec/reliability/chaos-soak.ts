import { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import type { SendReceipt } from '../../lib/session/send-receipt.js';
import { ChaosProxy } from '../../lib/testing/chaos-proxy.js';
import { randomInt, seededRandom } from '../../lib/testing/chaos/seeded-random.js';
import { Accepted, AuthError, AuthExpired, AuthOk, ChatMessage, Draining, Pong, SendRequest } from '../../lib/testing/gateway-protocol.js';
import { ReferenceGateway } from '../../lib/testing/reference-gateway.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Seed of every random choice: fault schedule, fault parameters, token lifetimes, retry jitter. */
  readonly seed: number;
  /** Concurrent sessions. */
  readonly sessions: number;
  /** How long faults are injected and messages sent, in ms (settling and checks come after). */
  readonly durationMs: number;
  /** Fault events per second (each is one of the kinds below). */
  readonly faultsPerSecond: number;
  /** App messages per second, all sessions together. */
  readonly sendsPerSecond: number;
  /** Gateway-published messages per second. */
  readonly publishesPerSecond: number;
  /** How long to wait after the chaos for every session to catch up, in ms. */
  readonly settleMs: number;
  /**
   * Give each session `resume.from: 0` (the soak's sessions exist before any message, so "from 0"
   * is their true position). With `false`, sessions take their starting position from the auth
   * ack's `lastId` instead (`resume.fromAck`), as an app that joins a live stream would: a drop
   * before the first message then still resumes from there and loses nothing.
   * @default true
   */
  readonly resumeFromStart?: boolean;
  /** Progress lines (to stderr in the runner). */
  readonly log?: (line: string) => void;
}

/** The fault kinds the soak injects; each event is one call on the proxy or the gateway. */
export const FAULT_KINDS = [
  'proxy cut (RST, one connection)',
  'proxy cut all (RST)',
  'proxy blackhole (half-open, one connection)',
  'proxy refuse new connections',
  'proxy latency spike',
  'proxy throttle',
  'gateway drop all (1006)',
  'gateway half-open all',
  'gateway restart',
  'gateway expire tokens (re-auth on the same socket)',
  'gateway drain notice',
  'gateway malformed frame: json',
  'gateway malformed frame: schema',
  'gateway malformed frame: binary',
  'gateway oversized frame (2 MB)',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Relative frequency of each kind; gateway-wide faults hit every session, so they are rarer. */
const FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  'proxy cut (RST, one connection)': 30,
  'proxy cut all (RST)': 1,
  'proxy blackhole (half-open, one connection)': 14,
  'proxy refuse new connections': 3,
  'proxy latency spike': 4,
  'proxy throttle': 2,
  'gateway drop all (1006)': 1.5,
  'gateway half-open all': 1,
  'gateway restart': 1,
  'gateway expire tokens (re-auth on the same socket)': 3,
  'gateway drain notice': 2,
  'gateway malformed frame: json': 5,
  'gateway malformed frame: schema': 5,
  'gateway malformed frame: binary': 5,
  'gateway oversized frame (2 MB)': 0.5,
};

/** What a soak found; `ok` is the verdict. */
export interface SoakReport {
  readonly ok: boolean;
  readonly seed: number;
  readonly sessions: number;
  readonly durationMs: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly faultEvents: number;
  /** Faults as they hit connections (a drop-all of 50 sessions counts 50), from the proxy and gateway logs. */
  readonly connectionFaults: Readonly<Record<string, number>>;
  readonly sent: number;
  readonly acknowledged: number;
  readonly sendFailures: number;
  /** App messages the server never accepted. */
  readonly lost: number;
  /** App messages the server accepted more than once. */
  readonly duplicated: number;
  /** Sessions whose accepted order differs from their send order. */
  readonly outOfOrderSessions: number;
  /** Send frames written again after a connection died (at-least-once on the wire). */
  readonly resentFrames: number;
  readonly published: number;
  /** Messages delivered to the apps, all sessions together. */
  readonly delivered: number;
  /** Published messages some session's app never got. */
  readonly missedDeliveries: number;
  /** Messages an app got twice. */
  readonly duplicateDeliveries: number;
  /** Deliveries out of id order. */
  readonly outOfOrderDeliveries: number;
  /** Message frames that arrived more than once on the wire (replays) and were dropped by resume. */
  readonly replayedFramesDropped: number;
  readonly invalidFrames: Readonly<Record<string, number>>;
  readonly reconnects: number;
  readonly reauths: number;
  /** Sessions that ended with an error before `close()`. */
  readonly fatalSessions: readonly string[];
  readonly unhandledRejections: readonly string[];
  readonly uncaughtExceptions: readonly string[];
  /** Sockets, servers and timers still active after everything was closed (beyond the baseline). */
  readonly leakedResources: readonly string[];
  readonly settledInMs: number;
  readonly problems: readonly string[];
}

interface Tracked {
  readonly index: number;
  readonly subject: string;
  readonly session: SocketSession<ChatMessage, SendRequest>;
  readonly sent: string[];
  readonly receipts: SendReceipt[];
  readonly received: number[];
  /** Send frames written per client id. */
  readonly wireSends: Map<string, number>;
  /** Message frames received per id. */
  readonly wireMessages: Map<number, number>;
  /** Frames reported on invalid$, by DecodeError kind. */
  readonly invalid: Record<string, number>;
  failure: unknown;
  reconnects: number;
  reauths: number;
}

const RESOURCE_KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];
const MESSAGE_PREFIX = /^\{"type":"message","id":(\d+),/;
const SEND_PREFIX = /^\{"type":"send","clientId":"([^"]+)"/;

/**
 * Runs N sessions of `connect()` through a {@link ChaosProxy} to a {@link ReferenceGateway} while
 * both inject faults of every kind from one seeded schedule, sending app messages with client ids
 * and publishing server messages all along; then lifts the faults, waits for every session to catch
 * up, closes everything and checks: each app message accepted exactly once and in order, each
 * published message delivered exactly once to every app, no unhandled error, nothing left open.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { seed, sessions: sessionCount, durationMs, log = () => undefined } = options;
  // One generator per stream of choices, each from the seed: a stream whose number of draws depends
  // on timing (token lifetimes: one per connect) must not shift the others (the fault schedule).
  const random = seededRandom(seed);
  const sendRandom = seededRandom(seed + 1_000_003);
  const publishRandom = seededRandom(seed + 2_000_003);
  const tokenRandom = seededRandom(seed + 3_000_003);
  const baseline = resourceCounts();
  const unhandledRejections: string[] = [];
  const uncaughtExceptions: string[] = [];
  const onRejection = (reason: unknown) => unhandledRejections.push(describe(reason));
  const onException = (error: unknown) => uncaughtExceptions.push(describe(error));
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const gateway = await ReferenceGateway.start({
    authTimeout: 2_000,
    idleTimeout: 3_000,
    reauthGrace: 1_500,
    historySize: 1_000_000,
  });
  const proxy = await ChaosProxy.start({ targetPort: gateway.port, seed });
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const problems: string[] = [];
  const faults = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const publishedIds: number[] = [];
  const tracked: Tracked[] = [];
  let restarting: Promise<void> | undefined;

  try {
    for (let index = 0; index < sessionCount; index++) tracked.push(openSession(index, options, gateway, proxy, tokenRandom));
    await waitFor(() => tracked.every((one) => one.session.state.type === 'ready'), 20_000, 'every session to be ready at the start');
    log(`${sessionCount} sessions ready through the proxy; chaos for ${durationMs} ms (seed ${seed})`);

    // ---- chaos: faults, sends and publishes from one seeded schedule ----------------------------
    const chaosEnds = Date.now() + durationMs;
    let sendSequence = 0;
    const inject = (kind: FaultKind): void => {
      faults[kind]++;
      switch (kind) {
        case 'proxy cut (RST, one connection)':
          proxy.cutRandom();
          return;
        case 'proxy cut all (RST)':
          proxy.cutAll();
          return;
        case 'proxy blackhole (half-open, one connection)':
          proxy.blackholeRandom();
          return;
        case 'proxy refuse new connections':
          void proxy.refuse(randomInt(random, 100, 500));
          return;
        case 'proxy latency spike': {
          proxy.setLatency(randomInt(random, 5, 80), randomInt(random, 0, 40));
          later(randomInt(random, 500, 3_000), () => proxy.setLatency(0));
          return;
        }
        case 'proxy throttle':
          proxy.setThrottle(randomInt(random, 64, 512) * 1024);
          later(randomInt(random, 500, 2_000), () => proxy.setThrottle(0));
          return;
        case 'gateway drop all (1006)':
          gateway.dropAll();
          return;
        case 'gateway half-open all':
          gateway.goHalfOpen();
          return;
        case 'gateway restart':
          if (restarting) return;
          restarting = gateway.restart({ downMs: randomInt(random, 50, 400) }).finally(() => (restarting = undefined));
          return;
        case 'gateway expire tokens (re-auth on the same socket)':
          gateway.expireTokens();
          return;
        case 'gateway drain notice':
          gateway.announceDrain(randomInt(random, 100, 800));
          return;
        case 'gateway malformed frame: json':
          gateway.sendMalformed('json');
          return;
        case 'gateway malformed frame: schema':
          gateway.sendMalformed('schema');
          return;
        case 'gateway malformed frame: binary':
          gateway.sendMalformed('binary');
          return;
        case 'gateway oversized frame (2 MB)':
          gateway.sendMalformed('oversized');
          return;
      }
    };
    const totalWeight = FAULT_KINDS.reduce((sum, kind) => sum + FAULT_WEIGHTS[kind], 0);
    const pickFault = (): FaultKind => {
      let roll = random() * totalWeight;
      for (const kind of FAULT_KINDS) {
        roll -= FAULT_WEIGHTS[kind];
        if (roll < 0) return kind;
      }
      return FAULT_KINDS[0];
    };
    const every = (perSecond: number, stream: () => number, run: () => void) => {
      if (perSecond <= 0) return;
      const tick = () => {
        if (Date.now() >= chaosEnds) return;
        run();
        later(stream() * (2_000 / perSecond), tick);
      };
      later(stream() * (1_000 / perSecond), tick);
    };
    // Every kind at least once, early, so even a short run covers them all.
    FAULT_KINDS.forEach((kind, position) => later(((position + 1) * durationMs) / (FAULT_KINDS.length + 2), () => inject(kind)));
    every(options.faultsPerSecond, random, () => inject(pickFault()));
    every(options.sendsPerSecond, sendRandom, () => {
      const one = tracked[randomInt(sendRandom, 0, tracked.length - 1)]!;
      const clientId = `${one.subject}-${++sendSequence}`;
      one.sent.push(clientId);
      one.receipts.push(one.session.send({ type: 'send', clientId, text: `m${sendSequence}` }));
    });
    every(options.publishesPerSecond, publishRandom, () => publishedIds.push(gateway.publish(`p${publishedIds.length + 1}`).id));
    let lastProgress = Date.now();
    while (Date.now() < chaosEnds) {
      await sleep(Math.min(250, chaosEnds - Date.now() + 1));
      if (Date.now() - lastProgress >= 10_000) {
        lastProgress = Date.now();
        const faultCount = Object.values(faults).reduce((sum, count) => sum + count, 0);
        log(
          `  ${Math.round((durationMs - (chaosEnds - Date.now())) / 1000)} s: ${faultCount} faults, ${sendSequence} sent, ${gateway.connectionCount} gateway sockets`,
        );
      }
    }

    // ---- settle: faults lifted, every session catches up -----------------------------------------
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    proxy.setLatency(0);
    proxy.setThrottle(0);
    proxy.heal();
    await restarting;
    const settleStarted = Date.now();
    const lastId = (): number => Math.max(0, ...publishedIds, ...gateway.accepted.map((message) => message.id));
    const caughtUp = () =>
      tracked.every(
        (one) =>
          one.failure !== undefined ||
          (one.receipts.every((receipt) => receipt.status === 'acknowledged' || receipt.status === 'failed') &&
            one.received.length > 0 &&
            one.received[one.received.length - 1]! >= lastId()),
      );
    const settled = await waitFor(caughtUp, options.settleMs, 'every session to catch up').then(
      () => true,
      (error: Error) => {
        problems.push(error.message);
        return false;
      },
    );
    const settledInMs = Date.now() - settleStarted;
    log(`settled in ${settledInMs} ms${settled ? '' : ' (NOT all caught up)'}; closing`);

    // ---- close everything, then look for leaks -------------------------------------------------
    for (const one of tracked) one.session.close();
    await proxy.close();
    await gateway.close();
    const leakedResources = await waitForBaseline(baseline, { proxy: proxy.port, gateway: gateway.port });

    return buildReport({
      options,
      tracked,
      gateway,
      proxy,
      faults,
      publishedIds,
      unhandledRejections,
      uncaughtExceptions,
      leakedResources,
      settledInMs,
      problems,
    });
  } finally {
    for (const timer of timers) clearTimeout(timer);
    for (const one of tracked) one.session.close();
    await proxy.close();
    await gateway.close();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}

function openSession(index: number, options: SoakOptions, gateway: ReferenceGateway, proxy: ChaosProxy, random: () => number): Tracked {
  const { seed } = options;
  const subject = `s${index}`;
  const wireSends = new Map<string, number>();
  const wireMessages = new Map<number, number>();
  const session = connect<ChatMessage, SendRequest, string, number>({
    url: proxy.url,
    WebSocketCtor: countingWebSocket(wireSends, wireMessages),
    inbound: ChatMessage,
    outbound: SendRequest,
    // Short-lived tokens: some expire on their own, on a live socket, and are renewed in place.
    token: () => gateway.issueToken({ subject, ttlMs: randomInt(random, 2_000, 10_000) }),
    auth: {
      message: (token, { lastId }) => (lastId === undefined ? { type: 'auth', token } : { type: 'auth', token, resumeFrom: lastId }),
      ack: AuthOk,
      reject: AuthError,
      expired: AuthExpired,
      timeout: 2_000,
    },
    heartbeat: { interval: 250, timeout: 750, ping: () => ({ type: 'ping' }), pong: Pong },
    retry: {
      initialDelay: 25,
      maxDelay: 1_000,
      random: seededRandom(seed + index + 1),
    },
    connectTimeout: 2_000,
    grace: Infinity,
    maxQueued: 1_000_000,
    sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined) },
    resume: {
      idOf: (message) => message.id,
      window: 10_000,
      ...(options.resumeFromStart === false ? { fromAck: (ack: unknown) => (AuthOk.is(ack) ? ack.lastId : undefined) } : { from: 0 }),
    },
    drain: Draining,
  });
  const tracked: Tracked = {
    index,
    subject,
    session,
    sent: [],
    receipts: [],
    received: [],
    wireSends,
    wireMessages,
    invalid: {},
    failure: undefined,
    reconnects: 0,
    reauths: 0,
  };
  session.messages$.subscribe({
    next: (message) => {
      if (message.id > 0) tracked.received.push(message.id);
    },
    error: (error: unknown) => {
      tracked.failure = error;
    },
  });
  session.state$.subscribe((state) => {
    if (state.type === 'reconnecting') tracked.reconnects++;
    if (state.type === 'reauthenticating') tracked.reauths++;
  });
  session.invalid$.subscribe((error) => {
    tracked.invalid[error.kind] = (tracked.invalid[error.kind] ?? 0) + 1;
  });
  return tracked;
}

/** A `ws` WebSocket that counts send frames per client id and message frames per id, cheaply. */
function countingWebSocket(sends: Map<string, number>, messages: Map<number, number>): WebSocketCtor {
  return class CountingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary || !Buffer.isBuffer(data)) return;
        const match = MESSAGE_PREFIX.exec(data.toString('utf8', 0, 48));
        if (match) messages.set(Number(match[1]), (messages.get(Number(match[1])) ?? 0) + 1);
      });
    }
    override send(data: string, ...rest: unknown[]): void {
      const match = SEND_PREFIX.exec(data);
      if (match) sends.set(match[1]!, (sends.get(match[1]!) ?? 0) + 1);
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  } as unknown as WebSocketCtor;
}

function buildReport(input: {
  options: SoakOptions;
  tracked: Tracked[];
  gateway: ReferenceGateway;
  proxy: ChaosProxy;
  faults: Record<FaultKind, number>;
  publishedIds: number[];
  unhandledRejections: string[];
  uncaughtExceptions: string[];
  leakedResources: string[];
  settledInMs: number;
  problems: string[];
}): SoakReport {
  const { options, tracked, gateway, proxy, faults, publishedIds, problems } = input;
  let sent = 0;
  let acknowledged = 0;
  let sendFailures = 0;
  let lost = 0;
  let duplicated = 0;
  let outOfOrderSessions = 0;
  let resentFrames = 0;
  let delivered = 0;
  let missedDeliveries = 0;
  let duplicateDeliveries = 0;
  let outOfOrderDeliveries = 0;
  let replayedFramesDropped = 0;
  let reconnects = 0;
  let reauths = 0;
  const invalidFrames: Record<string, number> = {};
  const fatalSessions: string[] = [];
  const missedSample: string[] = [];
  const lastId = Math.max(0, ...publishedIds, ...gateway.accepted.map((message) => message.id));

  for (const one of tracked) {
    sent += one.sent.length;
    for (const receipt of one.receipts) {
      if (receipt.status === 'acknowledged') acknowledged++;
      else sendFailures++;
    }
    const accepted = gateway.accepted.filter((message) => message.subject === one.subject).map((message) => message.clientId);
    const acceptedSet = new Set(accepted);
    lost += one.sent.filter((clientId) => !acceptedSet.has(clientId)).length;
    duplicated += accepted.length - acceptedSet.size;
    if (accepted.join() !== one.sent.join()) outOfOrderSessions++;
    for (const count of one.wireSends.values()) resentFrames += count - 1;

    delivered += one.received.length;
    const receivedSet = new Set(one.received);
    duplicateDeliveries += one.received.length - receivedSet.size;
    for (let id = 1; id <= lastId; id++) {
      if (receivedSet.has(id)) continue;
      missedDeliveries++;
      if (missedSample.length < 10) missedSample.push(`${one.subject} id ${id}`);
    }
    for (let position = 1; position < one.received.length; position++) {
      if (one.received[position]! <= one.received[position - 1]!) outOfOrderDeliveries++;
    }
    for (const count of one.wireMessages.values()) replayedFramesDropped += Math.max(0, count - 1);
    for (const [kind, count] of Object.entries(one.invalid)) invalidFrames[kind] = (invalidFrames[kind] ?? 0) + count;
    reconnects += one.reconnects;
    reauths += one.reauths;
    if (one.failure !== undefined) fatalSessions.push(`${one.subject}: ${describe(one.failure)}`);
  }

  const connectionFaults: Record<string, number> = {};
  for (const [kind, count] of Object.entries(proxy.faults)) if (count > 0) connectionFaults[`proxy ${kind}`] = count;
  for (const event of gateway.events) {
    let key: string | undefined;
    if (event.kind === 'fault') key = `gateway ${event.detail?.replace(/\d+ms$/, '').trim()}`;
    else if (event.kind === 'expired') key = `gateway token expired (${event.detail})`;
    else if (event.kind === 'close' && event.detail === 'sent while unauthenticated') key = 'gateway 4401: send raced a token expiry';
    if (key) connectionFaults[key] = (connectionFaults[key] ?? 0) + 1;
  }
  const faultEvents = Object.values(faults).reduce((sum, count) => sum + count, 0);
  for (const kind of FAULT_KINDS) if (faults[kind] === 0) problems.push(`fault kind never injected: ${kind}`);
  if (missedSample.length > 0) problems.push(`missed deliveries, first ones: ${missedSample.join(', ')}`);
  const ok =
    problems.length === 0 &&
    lost === 0 &&
    duplicated === 0 &&
    outOfOrderSessions === 0 &&
    sendFailures === 0 &&
    missedDeliveries === 0 &&
    duplicateDeliveries === 0 &&
    fatalSessions.length === 0 &&
    input.unhandledRejections.length === 0 &&
    input.uncaughtExceptions.length === 0 &&
    input.leakedResources.length === 0;
  return {
    ok,
    seed: options.seed,
    sessions: options.sessions,
    durationMs: options.durationMs,
    faults,
    faultEvents,
    connectionFaults,
    sent,
    acknowledged,
    sendFailures,
    lost,
    duplicated,
    outOfOrderSessions,
    resentFrames,
    published: lastId,
    delivered,
    missedDeliveries,
    duplicateDeliveries,
    outOfOrderDeliveries,
    replayedFramesDropped,
    invalidFrames,
    reconnects,
    reauths,
    fatalSessions,
    unhandledRejections: input.unhandledRejections,
    uncaughtExceptions: input.uncaughtExceptions,
    leakedResources: input.leakedResources,
    settledInMs: input.settledInMs,
    problems,
  };
}

/** The report as text lines, for people. */
export function formatReport(report: SoakReport): string {
  const lines = [
    `chaos soak: seed ${report.seed}, ${report.sessions} sessions, ${report.durationMs / 1000} s of faults`,
    `faults injected: ${report.faultEvents} events`,
    ...Object.entries(report.faults).map(([kind, count]) => `  ${String(count).padStart(6)}  ${kind}`),
    `faults as connections saw them:`,
    ...Object.entries(report.connectionFaults).map(([kind, count]) => `  ${String(count).padStart(6)}  ${kind}`),
    `app -> server: ${report.sent} sent, ${report.acknowledged} acknowledged, ${report.sendFailures} failed; ` +
      `lost ${report.lost}, accepted twice ${report.duplicated}, sessions out of order ${report.outOfOrderSessions}; ` +
      `${report.resentFrames} frames re-sent after a cut (de-duplicated by client id)`,
    `server -> app: ${report.published} published, ${report.delivered} delivered to ${report.sessions} apps; ` +
      `missed ${report.missedDeliveries}, twice ${report.duplicateDeliveries}, out of order ${report.outOfOrderDeliveries}; ` +
      `${report.replayedFramesDropped} replayed frames dropped by resume`,
    `invalid frames reported: ${JSON.stringify(report.invalidFrames)}`,
    `reconnects ${report.reconnects}, re-auths on the same socket ${report.reauths}, settled in ${report.settledInMs} ms`,
    `fatal sessions: ${report.fatalSessions.length}${report.fatalSessions.length ? ` (${report.fatalSessions.slice(0, 3).join('; ')})` : ''}`,
    `unhandled rejections: ${report.unhandledRejections.length}, uncaught exceptions: ${report.uncaughtExceptions.length}`,
    `left open after close(): ${report.leakedResources.length ? report.leakedResources.join(', ') : 'nothing'}`,
    ...report.problems.map((problem) => `problem: ${problem}`),
    report.ok ? 'OK: zero lost, zero duplicated, nothing leaked' : 'FAILED',
  ];
  return lines.join('\n');
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) if (RESOURCE_KINDS.includes(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Waits up to 5 s for sockets, servers and timers to drop back to the baseline; the excess, if any. */
async function waitForBaseline(baseline: Record<string, number>, ports: { proxy: number; gateway: number }): Promise<string[]> {
  const excess = () =>
    Object.entries(resourceCounts())
      .filter(([kind, count]) => count > (baseline[kind] ?? 0))
      .map(([kind, count]) => `${count - (baseline[kind] ?? 0)} ${kind}`);
  const deadline = Date.now() + 5_000;
  while (excess().length > 0 && Date.now() < deadline) await sleep(50);
  const left = excess();
  return left.length === 0 ? left : [...left, ...describeOpenSockets(ports)];
}

/** Which sockets are still open, by the ports they join, so a leak says whose it is. */
function describeOpenSockets(ports: { proxy: number; gateway: number }): string[] {
  const handles = (process as unknown as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  const name = (port: number | undefined) => (port === ports.proxy ? 'proxy' : port === ports.gateway ? 'gateway' : String(port));
  return handles
    .filter((handle): handle is Socket => handle instanceof Socket)
    .filter((socket) => socket.remotePort !== undefined || socket.localPort !== undefined)
    .map(
      (socket) =>
        `socket ${name(socket.localPort)}->${name(socket.remotePort)} ` +
        `(connecting ${socket.connecting}, destroyed ${socket.destroyed}, readable ${socket.readable}, writable ${socket.writable}, ` +
        `pending ${socket.pending}, readyState ${socket.readyState})`,
    );
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(value: unknown): string {
  return value instanceof Error ? `${value.name}: ${value.message}` : String(value);
}
