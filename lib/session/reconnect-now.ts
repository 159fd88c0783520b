import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { SocketEvent } from '../socket-event.js';

/**
 * Cuts a reconnect wait short: each value of `trigger$` that arrives while the stream waits to
 * reconnect (after a `reconnecting` event, before the next `connecting`) completes the stream, so
 * the `repeat()` placed after it resubscribes at once: a new socket now, and a backoff that starts
 * over. Values at any other time are ignored. For "the network is back" signals such as the
 * browser's `online` event, so a phone back in coverage does not sit out a 30 s backoff.
 */
export function reconnectNowOn(trigger$: Observable<unknown>): MonoTypeOperatorFunction<SocketEvent> {
  return (source) =>
    new Observable<SocketEvent>((subscriber) => {
      let waiting = false;
      const subscription = source.subscribe({
        next: (event) => {
          waiting = event.type === 'reconnecting';
          subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      subscription.add(
        trigger$.subscribe({
          next: () => {
            if (waiting) subscriber.complete();
          },
          error: (error: unknown) => subscriber.error(error),
        }),
      );
      return subscription;
    });
}
