import { type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_MS } from '../timer-limit.js';
import { SendDroppedError, SendExpiredError, SendQueueFullError } from './errors.js';
import { SlidingWindow, type RateLimit } from './rate-limit.js';
import { failedReceipt, moveReceipt, SendReceipt, settleReceipt } from './send-receipt.js';

/** What happens to a `send` when `maxQueued` messages already wait. */
export type Overflow = 'reject' | 'drop-oldest';

/** A message that was queued and then not delivered, as `dropped$` reports it. */
export interface DroppedSend<Out> {
  /** The message as the app passed it to `send`. */
  readonly message: Out;
  /** Why: `SendDroppedError`, `SendExpiredError` or `SessionClosedError`. */
  readonly error: Error;
}

/** Options of a {@link SendQueue}; `connect` fills them from its config. */
export interface SendQueueOptions<Out> {
  readonly maxQueued: number;
  readonly overflow: Overflow;
  /** Default expiry of a waiting message in ms; `Infinity` never expires. */
  readonly expireAfter: number;
  readonly rateLimit: RateLimit | undefined;
  /** Whether receipts wait for the server's ack (entries with a key stay in flight until then). */
  readonly awaitsAck: boolean;
  readonly scheduler: SchedulerLike;
  /** Told of every queued message that is given up (dropped, expired, session ended). */
  readonly onDropped: (dropped: DroppedSend<Out>) => void;
  /** Told whenever the number of undelivered messages (waiting or in flight) may have changed. */
  readonly onPendingChange: (pending: number) => void;
}

/**
 * Writes a frame now if the connection is ready for app traffic; `false` means "not now" (not
 * ready, or the socket is closing) and the frame stays queued.
 */
export type Writer = (frame: string) => boolean;

interface Entry<Out> {
  readonly seq: number;
  readonly message: Out;
  readonly frame: string;
  /** Key the server's ack names, when the session has `sendAck`. */
  readonly key: string | undefined;
  /** Written at least once: a frame the server may already have, so it never expires. */
  written: boolean;
  expiry: Subscription | undefined;
  readonly receipt: SendReceipt;
}

/**
 * The session's outbound queue: messages wait here, in order, until a writer is set (the session
 * is ready), and leave through it at the pace the rate limit and the server's retry-after allow.
 * With acks, written messages stay "in flight" until acknowledged and go back to the queue, ahead
 * of newer ones, when their socket dies (at-least-once; make them idempotent).
 *
 * Time only through the scheduler, so marble tests drive expiry, rate and pauses. Private members
 * are `#` fields (a minifier shortens those names, not those of TypeScript's `private`), except
 * the two that `session.pending` reads: apps may hold the session in a Proxy (Vue's reactive(), a
 * Pinia store), through which a `#` field read throws.
 */
export class SendQueue<Out> {
  private readonly queued: Entry<Out>[] = [];
  private readonly inFlight: Entry<Out>[] = [];
  #seq = 0;
  #writer: Writer | undefined;
  #pausedUntil = -Infinity;
  #wake: Subscription | undefined;
  readonly #window: SlidingWindow | undefined;
  #pumping = false;
  #reportingDrop = false;
  #ended: Error | undefined;
  readonly #options: SendQueueOptions<Out>;

  constructor(options: SendQueueOptions<Out>) {
    this.#options = options;
    this.#window = options.rateLimit ? new SlidingWindow(options.rateLimit) : undefined;
  }

  /** Messages waiting to be written. */
  get size(): number {
    return this.queued.length;
  }

  /** Messages not yet delivered: waiting, or written and awaiting their ack. */
  get pending(): number {
    return this.queued.length + this.inFlight.length;
  }

  /** Queues an encoded frame; the receipt settles when it is written (or acknowledged) or given up. */
  enqueue(message: Out, frame: string, key: string | undefined, expireAfter = this.#options.expireAfter): SendReceipt {
    if (this.#ended) return failedReceipt(this.#ended);
    const queued = this.queued;
    const { maxQueued, overflow, scheduler } = this.#options;
    let dropped: Entry<Out> | undefined;
    // Only messages never written count: one written before a reconnect may be at the server already.
    if (queued.length >= maxQueued && countUnwritten(queued) >= maxQueued) {
      // A send from a dropped$ handler must not drop yet another message: that would cascade.
      if (overflow === 'reject' || this.#reportingDrop) return failedReceipt(new SendQueueFullError(maxQueued));
      dropped = queued.splice(
        queued.findIndex((entry) => !entry.written),
        1,
      )[0];
    }
    const receipt = new SendReceipt();
    const entry: Entry<Out> = { seq: this.#seq++, message, frame, key, written: false, expiry: undefined, receipt };
    if (Number.isFinite(expireAfter)) {
      entry.expiry = scheduler.schedule(() => {
        const index = this.queued.indexOf(entry);
        if (index >= 0) SendQueue.#take(this, this.queued, index, true, new SendExpiredError(expireAfter));
      }, expireAfter);
    }
    queued.push(entry);
    // Reported once the queue is consistent: the app's dropped$ handler may send or close() here.
    if (dropped) {
      this.#reportingDrop = true;
      try {
        SendQueue.#give(this, dropped, new SendDroppedError(maxQueued));
      } finally {
        this.#reportingDrop = false;
      }
    }
    if (this.#ended) return receipt; // closed by that handler: end() gave this one up too
    SendQueue.#changed(this);
    this.pump();
    return receipt;
  }

  /** Sets (or, with `undefined`, removes) the way out; queued messages flow while it is set. */
  setWriter(writer: Writer | undefined): void {
    this.#writer = writer;
    this.pump();
  }

  /** Settles the in-flight message with this key; `false` if none waits for it. */
  acknowledge(key: string): boolean {
    return SendQueue.#take(
      this,
      this.inFlight,
      this.inFlight.findIndex((entry) => entry.key === key),
      false,
    );
  }

  /**
   * The server refused one message for good (it will refuse it again): gives it up with `error`,
   * so it is never written again. `key` names it; without one, the oldest message awaiting its ack
   * is the refused one (servers answer in order). `false` if no such message is pending.
   */
  fail(key: string | undefined, error: Error): boolean {
    let list = this.inFlight;
    let index = key === undefined ? (list.length > 0 ? 0 : -1) : list.findIndex((entry) => entry.key === key);
    // A message written, then put back in the queue (a retry-after), may be the one refused.
    if (index < 0 && key !== undefined) {
      list = this.queued;
      index = list.findIndex((entry) => entry.written && entry.key === key);
    }
    return SendQueue.#take(this, list, index, true, error);
  }

  /**
   * The server said "too many, retry after `ms`": the queue pauses that long. With acks, the
   * oldest in-flight message is the one the server refused (servers answer in order), so it goes
   * back to the queue to be written again after the pause; nothing is dropped.
   */
  retryAfter(ms: number): void {
    // NaN: "too many", but no readable delay (it comes off the wire through the app's parser): 1 s.
    const pause = Number.isNaN(ms) ? 1000 : Math.min(Math.max(0, ms), MAX_TIMER_MS);
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#options.scheduler.now() + pause);
    const refused = this.inFlight.shift();
    if (refused) SendQueue.#requeue(this, refused);
    this.pump();
  }

  /** A new socket: messages written on the old one and never acknowledged go out again first. */
  requeueInFlight(): void {
    for (const entry of this.inFlight.splice(0)) SendQueue.#requeue(this, entry);
    this.pump();
  }

  /** Gives up every undelivered message with `error`; later sends are refused with it too. */
  end(error: Error): void {
    if (this.#ended) return;
    this.#ended = error;
    this.#writer = undefined;
    this.#wake?.unsubscribe();
    this.#wake = undefined;
    const entries = [...this.inFlight.splice(0), ...this.queued.splice(0)].sort((a, b) => a.seq - b.seq);
    for (const entry of entries) SendQueue.#give(this, entry, error);
    this.#options.onPendingChange(0);
  }

  /** Writes as many queued frames as the writer, the rate limit and any pause allow, in order. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const options = this.#options;
      const window = this.#window;
      while (this.queued.length > 0 && this.#writer) {
        const now = options.scheduler.now();
        const wait = Math.max(this.#pausedUntil - now, window?.wait(now) ?? 0);
        if (wait > 0) {
          SendQueue.#wakeIn(this, wait);
          return;
        }
        const entry = this.queued[0]!;
        if (!this.#writer(entry.frame)) return;
        this.queued.shift();
        window?.record(now);
        entry.written = true;
        entry.expiry?.unsubscribe();
        entry.expiry = undefined;
        if (options.awaitsAck && entry.key !== undefined) {
          this.inFlight.push(entry);
          moveReceipt(entry.receipt, 'written');
        } else {
          settleReceipt(entry.receipt, 'written');
          SendQueue.#changed(this);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  // The helpers below are static: a `#method` would add a hidden brand field to every instance.

  /**
   * Takes `list[index]` out (none if `index` is -1): given up with `error` when `failed`, else
   * acknowledged. A flag, not the error's truthiness: a refusal may come with any error value.
   */
  static #take<Out>(queue: SendQueue<Out>, list: Entry<Out>[], index: number, failed: boolean, error?: Error): boolean {
    if (index < 0) return false;
    const entry = list.splice(index, 1)[0]!;
    if (failed) SendQueue.#give(queue, entry, error!);
    else settleReceipt(entry.receipt, 'acknowledged');
    SendQueue.#changed(queue);
    return true;
  }

  /** Puts a written entry back in the queue, in its place by age. */
  static #requeue<Out>(queue: SendQueue<Out>, entry: Entry<Out>): void {
    moveReceipt(entry.receipt, 'queued');
    const queued = queue.queued;
    let index = queued.findIndex((other) => other.seq > entry.seq);
    if (index < 0) index = queued.length;
    queued.splice(index, 0, entry);
  }

  static #give<Out>(queue: SendQueue<Out>, entry: Entry<Out>, error: Error): void {
    entry.expiry?.unsubscribe();
    settleReceipt(entry.receipt, 'failed', error);
    queue.#options.onDropped({ message: entry.message, error });
  }

  static #changed<Out>(queue: SendQueue<Out>): void {
    queue.#options.onPendingChange(queue.pending);
  }

  static #wakeIn<Out>(queue: SendQueue<Out>, ms: number): void {
    queue.#wake?.unsubscribe();
    queue.#wake = queue.#options.scheduler.schedule(
      () => {
        queue.#wake = undefined;
        queue.pump();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
  }
}

function countUnwritten(queued: readonly Entry<unknown>[]): number {
  let count = 0;
  for (const entry of queued) if (!entry.written) count++;
  return count;
}
