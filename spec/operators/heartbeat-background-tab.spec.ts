import { expect } from 'chai';
import * as t from 'io-ts';
import sinon from 'sinon';
import { fromWebSocket } from '../../lib/from-web-socket.js';
import { heartbeat } from '../../lib/operators/heartbeat.js';
import type { WebSocketLike } from '../../lib/web-socket-like.js';

// Background tabs: Chrome throttles a timer to once a minute when it is deeply chained (its HTML
// "timer nesting level" reaches 5: a timer started from a timer callback, or an interval's repeats).
// A 25 s ping on a chained timer would then go out once a minute and the gateway's ~30 s idle limit
// would kill the connection. These tests track the nesting level of every timer the heartbeat
// starts, on sinon's fake clock since marbles have no notion of which callback started a timer.

/** A socket the test drives by hand; its events run outside any timer callback, like network events. */
class HandDrivenSocket implements WebSocketLike {
  static latest: HandDrivenSocket | undefined;
  readyState = 0;
  readonly sentAt: number[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  constructor(readonly url: string) {
    HandDrivenSocket.latest = this;
  }

  send(): void {
    this.sentAt.push(Date.now());
  }

  close(): void {
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(value: unknown): void {
    this.onmessage?.({ data: JSON.stringify(value) });
  }
}

/** Replaces the fake clock's setTimeout and setInterval with ones that record each callback's nesting level. */
function recordTimerNesting(): { levels: number[]; restore: () => void } {
  const levels: number[] = [];
  let running = 0; // nesting level of the timer callback now running, 0 outside any
  const fakeSetTimeout = globalThis.setTimeout;
  const fakeSetInterval = globalThis.setInterval;
  const wrap = (schedule: typeof setTimeout, repeats: boolean) =>
    ((handler: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
      let level = running + 1;
      return schedule(() => {
        const outer = running;
        running = level;
        levels.push(level);
        try {
          handler(...args);
        } finally {
          running = outer;
          if (repeats) level += 1; // each repeat of an interval is one level deeper
        }
      }, delay);
    }) as typeof setTimeout;
  globalThis.setTimeout = wrap(fakeSetTimeout, false);
  globalThis.setInterval = wrap(fakeSetInterval as unknown as typeof setTimeout, true) as unknown as typeof setInterval;
  return {
    levels,
    restore: () => {
      globalThis.setTimeout = fakeSetTimeout;
      globalThis.setInterval = fakeSetInterval;
    },
  };
}

describe('heartbeat timers in a background tab (timer nesting, sinon fake clock)', () => {
  let clock: sinon.SinonFakeTimers;
  let nesting: ReturnType<typeof recordTimerNesting>;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    nesting = recordTimerNesting();
  });

  afterEach(() => {
    nesting.restore();
    clock.restore();
  });

  const Pong = t.type({ type: t.literal('pong') });
  const source$ = () => fromWebSocket('ws://127.0.0.1:1', { WebSocketCtor: HandDrivenSocket });

  it('keeps every ping timer shallow while pongs answer, at an exact 25 s cadence, for 21 pings', () => {
    const subscription = source$()
      .pipe(heartbeat({ interval: 25_000, timeout: 10_000, ping: () => ({ type: 'ping' }), pong: Pong }))
      .subscribe({ error: () => undefined });
    const socket = HandDrivenSocket.latest!;
    socket.open();
    clock.tick(25_000);
    for (let beat = 1; beat <= 20; beat += 1) {
      clock.tick(300);
      socket.receive({ type: 'pong' }); // answers the ping 300 ms after it, from the "network"
      clock.tick(25_000 - 300);
    }
    expect(socket.sentAt).to.have.length(21);
    expect(socket.sentAt.map((at, index) => at - (socket.sentAt[index - 1] ?? 0))).to.deep.equal(Array(21).fill(25_000));
    expect(Math.max(...nesting.levels), `nesting levels ${nesting.levels.join(' ')}`).to.be.at.most(2);
    subscription.unsubscribe();
    expect(clock.countTimers(), 'timers left after unsubscribe').to.equal(0);
  });

  it('keeps the silence check shallow while the server talks (maxSilence), and still notices silence', () => {
    let failure: unknown;
    source$()
      .pipe(heartbeat({ interval: 0, maxSilence: 30_000 }))
      .subscribe({ error: (error: unknown) => (failure = error) });
    const socket = HandDrivenSocket.latest!;
    socket.open();
    for (let heartbeatFrame = 1; heartbeatFrame <= 40; heartbeatFrame += 1) {
      clock.tick(20_000);
      socket.receive({ topicName: 'channel.metadata' });
    }
    expect(failure).to.equal(undefined);
    expect(Math.max(...nesting.levels), `nesting levels ${nesting.levels.join(' ')}`).to.be.at.most(2);
    clock.tick(30_000);
    expect(failure).to.have.property('name', 'HeartbeatTimeoutError');
    expect(clock.countTimers(), 'timers left after the error').to.equal(0);
  });
});
