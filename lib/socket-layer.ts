import { Observable, type MonoTypeOperatorFunction, type Observer, type Subscriber } from 'rxjs';
import type { SocketEvent } from './socket-event.js';

/**
 * One subscription's state in an operator over socket events: it observes the source and owns the
 * timers and auth rounds that `stop` cancels when the consumer leaves. A class per operator, not
 * closures, so thousands of sessions share its methods (memory per session, see bench/RESULTS.md).
 */
export interface SocketLayer extends Observer<SocketEvent> {
  stop(): void;
}

/** The operator that gives each subscription its own layer, stopped on unsubscribe. */
export function socketLayer(create: (subscriber: Subscriber<SocketEvent>) => SocketLayer): MonoTypeOperatorFunction<SocketEvent> {
  return (source) =>
    new Observable<SocketEvent>((subscriber) => {
      const layer = create(subscriber);
      const subscription = source.subscribe(layer);
      return () => {
        subscription.unsubscribe();
        layer.stop();
      };
    });
}

/**
 * A layer that runs user code on events (matchers, frame builders, reason extractors): a throw
 * errors the output with what it threw, as rxjs's own operators do, instead of escaping into the
 * socket's `onmessage` handler as an uncaught exception with the stream left hanging.
 */
export abstract class GuardedLayer implements SocketLayer {
  constructor(protected readonly subscriber: Subscriber<SocketEvent>) {}

  next(event: SocketEvent): void {
    try {
      this.handle(event);
    } catch (error) {
      this.subscriber.error(error);
    }
  }

  error(error: unknown): void {
    this.subscriber.error(error);
  }

  complete(): void {
    this.subscriber.complete();
  }

  abstract stop(): void;

  protected abstract handle(event: SocketEvent): void;
}
