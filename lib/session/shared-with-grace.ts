import { Observable, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { LayerSubscriber, type Downstream } from '../layer-subscriber.js';

/**
 * `source` shared by every subscriber: one subscription to it however many subscribe. It starts
 * with the first subscriber and ends `grace` ms after the last one left (0: at once; Infinity:
 * never), unless someone subscribes meanwhile. An error or completion is kept: later subscribers
 * get it at once, and the source is never subscribed again.
 *
 * What rxjs's `share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero })` does,
 * as one object per session instead of a Subject, two wrapped subscribers and a dozen closures
 * (memory per session, see bench/RESULTS.md).
 *
 * @example
 * const shared$ = sharedWithGrace(frames$, 1000, asyncScheduler); // a route change keeps the socket
 */
export function sharedWithGrace<T>(source: Observable<T>, grace: number, scheduler: SchedulerLike): Observable<T> {
  const share = new Share(source, grace, scheduler);
  return new Observable<T>((subscriber) => {
    if (!share.join(subscriber)) return;
    // Registered before connecting, as rxjs's share does: a subscriber that leaves while the source
    // emits synchronously during its subscribe is gone at once, and with it the source (grace 0).
    subscriber.add(new Membership(share, subscriber));
    share.connect();
  });
}

/** How the source ended, kept for later subscribers. */
interface Ending {
  readonly failed: boolean;
  readonly error: unknown;
}

function tellEnding(observer: Subscriber<unknown>, { failed, error }: Ending): void {
  if (failed) observer.error(error);
  else observer.complete();
}

class Share<T> implements Downstream<T> {
  #observers: Subscriber<T>[] = [];
  #connection: Connection<T> | undefined;
  #graceTimer: Subscription | undefined;
  #ended: Ending | undefined;
  readonly #source: Observable<T>;
  readonly #grace: number;
  readonly #scheduler: SchedulerLike;

  constructor(source: Observable<T>, grace: number, scheduler: SchedulerLike) {
    this.#source = source;
    this.#grace = grace;
    this.#scheduler = scheduler;
  }

  /** Adds `subscriber`, or gives it the kept error or completion (and returns false). */
  join(subscriber: Subscriber<T>): boolean {
    if (this.#ended) {
      tellEnding(subscriber, this.#ended);
      return false;
    }
    this.#graceTimer?.unsubscribe();
    this.#graceTimer = undefined;
    // A copy, not a push: an emission in progress keeps iterating the list it started with. concat,
    // not a spread: it allocates what it holds, a spread 17 slots (memory per session).
    this.#observers = this.#observers.concat([subscriber]);
    return true;
  }

  /** Subscribes the source if it is not, while anyone is there. */
  connect(): void {
    if (this.#connection || this.#observers.length === 0 || this.#ended) return;
    // Assigned before subscribing: a subscriber that leaves during the subscribe must find it.
    const connection = new Connection<T>(this);
    this.#connection = connection;
    this.#source.subscribe(connection);
  }

  remove(subscriber: Subscriber<T>): void {
    const before = this.#observers.length;
    this.#observers = this.#observers.filter((observer) => observer !== subscriber);
    if (this.#observers.length === before || this.#observers.length > 0 || this.#ended) return;
    if (this.#grace === 0) Share.#disconnect(this);
    else if (this.#grace !== Infinity) this.#graceTimer = this.#scheduler.schedule(() => Share.#disconnect(this), this.#grace);
  }

  get closed(): boolean {
    return this.#ended !== undefined;
  }

  next(value: T): void {
    for (const observer of this.#observers) observer.next(value);
  }

  error(error: unknown): void {
    Share.#end(this, { failed: true, error });
  }

  complete(): void {
    Share.#end(this, { failed: false, error: undefined });
  }

  // Static: a `#method` would add a hidden brand field to every instance.
  static #end<T>(share: Share<T>, ended: Ending): void {
    share.#ended = ended;
    share.#graceTimer?.unsubscribe();
    const observers = share.#observers;
    share.#observers = [];
    for (const observer of observers) tellEnding(observer, ended);
  }

  static #disconnect<T>(share: Share<T>): void {
    share.#graceTimer = undefined;
    const connection = share.#connection;
    share.#connection = undefined;
    connection?.unsubscribe();
  }
}

/** The one subscription to the source; the share is its downstream. One per connect. */
class Connection<T> extends LayerSubscriber<T, T> {
  protected override handle(value: T): void {
    this.subscriber.next(value);
  }
}

/** One subscriber's place in the share; leaving it starts the grace period if it was the last. */
class Membership<T> {
  readonly #share: Share<T>;
  readonly #subscriber: Subscriber<T>;

  constructor(share: Share<T>, subscriber: Subscriber<T>) {
    this.#share = share;
    this.#subscriber = subscriber;
  }

  unsubscribe(): void {
    this.#share.remove(this.#subscriber);
  }
}
