import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** How a {@link Lane} shapes traffic right now; the proxy changes it live for every lane. */
export interface Shaping {
  /** Extra delay for the next chunk, in ms (latency plus any jitter). */
  readonly delay: () => number;
  /** Bytes per second, 0 for no limit. */
  readonly bytesPerSecond: () => number;
}

/** Largest write a throttled lane makes per tick: at `bytesPerSecond`, this many ms of traffic. */
const THROTTLE_SLICE_MS = 10;

/**
 * One direction of a proxied TCP connection: chunks wait here until their latency elapsed and the
 * throttle lets them through, in order, or indefinitely while the lane is held (blackhole). The end
 * of the stream (FIN) travels behind the data, so a held lane also holds the close.
 */
export class Lane {
  private readonly queue: { data: Buffer; due: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;
  private nextFreeAt = 0;
  private ending = false;
  private held = false;
  private disposed = false;
  private resetOnRelease: (() => void) | undefined;

  constructor(
    private readonly out: Socket,
    private readonly shaping: Shaping,
  ) {}

  /** Bytes waiting in this lane (held by a blackhole, or delayed). */
  get queuedBytes(): number {
    let total = 0;
    for (const chunk of this.queue) total += chunk.data.length;
    return total;
  }

  /** Whether the lane holds everything (blackhole). */
  get isHeld(): boolean {
    return this.held;
  }

  /** Queues a chunk; it leaves after the current latency, never before an earlier chunk. */
  push(data: Buffer): void {
    if (this.disposed) return;
    const due = Math.max(this.lastDue, performance.now() + Math.max(0, this.shaping.delay()));
    this.lastDue = due;
    this.queue.push({ data, due });
    this.pump();
  }

  /** The sender finished: end the other side once everything queued has left. */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** Holds every byte and the end, with the TCP connection left open. */
  hold(): void {
    this.held = true;
    this.stopTimer();
  }

  /** Lets held bytes go, in order; or, when the sender reset meanwhile, passes the reset on. */
  release(): void {
    this.held = false;
    const reset = this.resetOnRelease;
    if (reset) {
      this.resetOnRelease = undefined;
      this.dispose(); // a reset discards what was in flight, as TCP does
      reset();
      return;
    }
    this.pump();
  }

  /** The sender reset while the lane is held: keep the reset, like the bytes, until {@link release}. */
  holdReset(passOn: () => void): void {
    this.resetOnRelease = passOn;
  }

  /** Forgets everything queued and cancels the timer (the connection is gone). */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.stopTimer();
  }

  private pump(): void {
    this.stopTimer();
    while (!this.held && !this.disposed && !this.out.destroyed) {
      const head = this.queue[0];
      if (!head) {
        if (this.ending) {
          this.ending = false;
          this.out.end();
        }
        return;
      }
      const now = performance.now();
      if (head.due > now) return this.wakeIn(head.due - now);
      const rate = this.shaping.bytesPerSecond();
      if (rate <= 0) {
        this.queue.shift();
        this.out.write(head.data);
        continue;
      }
      if (this.nextFreeAt > now) return this.wakeIn(this.nextFreeAt - now);
      const sliceSize = Math.max(1, Math.floor((rate * THROTTLE_SLICE_MS) / 1000));
      const slice = head.data.subarray(0, sliceSize);
      if (slice.length === head.data.length) this.queue.shift();
      else head.data = head.data.subarray(slice.length);
      this.out.write(slice);
      this.nextFreeAt = Math.max(this.nextFreeAt, now) + (slice.length / rate) * 1000;
    }
  }

  private wakeIn(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.ceil(ms));
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
