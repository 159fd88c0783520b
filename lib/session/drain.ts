import type { MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import { frameTest, type FrameMatcher } from '../frame-matcher.js';
import type { InboundFrame } from '../inbound-frame.js';
import { SocketLayer, socketLayer } from '../socket-layer.js';
import type { SocketEvent } from '../socket-event.js';
import { ServerDrainingError } from './errors.js';

/**
 * Ends the stream (completes it, closing the socket with 1000) when the server announces that it
 * will close this socket soon, after emitting a `reconnecting` event (attempt 1, delay 0, cause a
 * {@link ServerDrainingError}). The session resubscribes at once, so the new socket is up before
 * the server's deadline instead of after a backoff. The notice is consumed.
 */
export function reconnectOnDrain(drain: FrameMatcher): MonoTypeOperatorFunction<SocketEvent> {
  return socketLayer(DrainWatch, frameTest(drain));
}

/** One layer, not an observer of closures (memory per session, see bench/RESULTS.md). */
class DrainWatch extends SocketLayer {
  readonly #isDrainNotice: (frame: InboundFrame) => boolean;

  constructor(subscriber: Subscriber<SocketEvent>, isDrainNotice: (frame: InboundFrame) => boolean) {
    super(subscriber);
    this.#isDrainNotice = isDrainNotice;
  }

  // A throwing matcher errors the stream (see LayerSubscriber).
  protected override handle(event: SocketEvent): void {
    if (event.type === 'frame' && this.#isDrainNotice(event.frame)) {
      this.subscriber.next({ type: 'reconnecting', attempt: 1, delay: 0, cause: new ServerDrainingError() });
      this.complete();
    } else this.subscriber.next(event);
  }
}
