import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { frameTest, type FrameMatcher } from '../frame-matcher.js';
import { guardedObserver } from '../guarded-observer.js';
import type { SocketEvent } from '../socket-event.js';
import { ServerDrainingError } from './errors.js';

/**
 * Ends the stream (completes it, closing the socket with 1000) when the server announces that it
 * will close this socket soon, after emitting a `reconnecting` event (attempt 1, delay 0, cause a
 * {@link ServerDrainingError}). The session resubscribes at once, so the new socket is up before
 * the server's deadline instead of after a backoff. The notice is consumed.
 */
export function reconnectOnDrain(drain: FrameMatcher): MonoTypeOperatorFunction<SocketEvent> {
  const isDrainNotice = frameTest(drain);
  return (source) =>
    new Observable<SocketEvent>((subscriber) =>
      source.subscribe(
        guardedObserver(subscriber, {
          next: (event) => {
            if (event.type === 'frame' && isDrainNotice(event.frame)) {
              subscriber.next({ type: 'reconnecting', attempt: 1, delay: 0, cause: new ServerDrainingError() });
              subscriber.complete();
              return;
            }
            subscriber.next(event);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
    );
}
