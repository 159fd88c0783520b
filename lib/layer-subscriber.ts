import type { Observer, SubscriptionLike, TeardownLogic, Unsubscribable } from 'rxjs';

/** Where a layer passes things on: an rxjs Subscriber, another layer, or a fan-out. */
export interface Downstream<T> extends Observer<T> {
  /** Nothing is wanted any more (the consumer left, or the stream ended). */
  readonly closed: boolean;
}

type Finalizer = Unsubscribable | (() => void);

/**
 * The per-subscription state of our operators, subscribed to the source as it is. rxjs takes any
 * object with `next`/`error`/`complete` and `closed`/`add`/`remove`/`unsubscribe` as a Subscriber,
 * so a chain of these needs no SafeSubscriber, observer wrapper, finalizer array and teardown
 * closure per link: about 0.4 KB per operator per session (memory per session, bench/RESULTS.md).
 *
 * Same contract as an rxjs Subscriber: nothing passes after error, complete or unsubscribe; error
 * and complete are passed on, then tear down; `unsubscribe` is idempotent and runs the teardowns
 * of the source (added by rxjs) before {@link stop}. A throw from {@link handle} (user code:
 * matchers, frame builders) errors the output with what was thrown, as rxjs's operators do,
 * instead of escaping into a socket callback with the stream left hanging.
 *
 * Subclasses keep their private state in `#` fields, which a minifier shortens (a `private` name
 * ships whole in every bundle), and use no `#` methods: V8 gives each instance of a class with
 * those an extra brand slot. This base class keeps plain fields: its `next` runs for every frame
 * in every layer, and V8 reads a `#` field there, where the site sees every layer class, about three
 * times slower than a plain one (benchmark 7 measured +80 to +130 ns per frame).
 */
export abstract class LayerSubscriber<In, Out> implements Observer<In>, SubscriptionLike {
  closed = false;
  private stopped = false;
  // Almost always one: the source's teardown, held as it is (an array costs ~60 bytes a layer).
  private finalizers: Finalizer | Finalizer[] | undefined;

  constructor(protected readonly subscriber: Downstream<Out>) {}

  next(value: In): void {
    if (this.stopped) return;
    try {
      this.handle(value);
    } catch (error) {
      this.fail(error);
    }
  }

  /** An error from the source (subclasses may explain it before passing it on). */
  error(error: unknown): void {
    this.fail(error);
  }

  complete(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.subscriber.complete();
    } finally {
      this.unsubscribe();
    }
  }

  add(teardown: TeardownLogic): void {
    if (!teardown || teardown === this) return;
    const current = this.finalizers;
    if (this.closed) run(teardown as Finalizer);
    // A literal or concat: they allocate what they hold, while flat() or a push reserves 17 slots.
    else if (!current) this.finalizers = teardown as Finalizer;
    else this.finalizers = Array.isArray(current) ? current.concat([teardown as Finalizer]) : [current, teardown as Finalizer];
  }

  remove(teardown: Exclude<TeardownLogic, void>): void {
    // rxjs never calls this on a layer (it does not record one as a parent): short, not frugal.
    this.finalizers = [this.finalizers ?? []].flat().filter((finalizer) => finalizer !== teardown);
  }

  unsubscribe(): void {
    if (this.closed) return;
    this.closed = this.stopped = true;
    const finalizers = [this.finalizers ?? []].flat();
    this.finalizers = undefined;
    // Like rxjs: every teardown runs even if one throws; the first error is thrown afterwards.
    let failure: { error: unknown } | undefined;
    for (const finalizer of finalizers) {
      try {
        run(finalizer);
      } catch (error) {
        failure ??= { error };
      }
    }
    this.stop();
    if (failure) throw failure.error;
  }

  /** Passes `error` on and tears down, once. */
  protected fail(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.subscriber.error(error);
    } finally {
      this.unsubscribe();
    }
  }

  /** Handles a value from the source; throwing errors the output. */
  protected abstract handle(value: In): void;

  /** Cancels this layer's own work (timers, token requests); also called on teardown. */
  protected stop(): void {}
}

function run(finalizer: Finalizer): void {
  if (typeof finalizer === 'function') finalizer();
  else finalizer.unsubscribe();
}
