import type { Observer, Subscriber } from 'rxjs';

/**
 * The observer an operator subscribes to its source with. User code runs inside `next` (an ack or
 * pong matcher, a codec's `is`, a reason extractor); if it throws, the output errors with what it
 * threw, as rxjs's own operators do. A plain observer would let the throw escape into the socket's
 * `onmessage` handler and surface as an uncaught exception, with the stream left hanging.
 */
export function guardedObserver<T>(destination: Subscriber<unknown>, observer: Observer<T>): Observer<T> {
  return {
    next: (value) => {
      try {
        observer.next(value);
      } catch (error) {
        destination.error(error);
      }
    },
    error: (error: unknown) => observer.error(error),
    complete: () => observer.complete(),
  };
}
