import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import { LayerSubscriber, type Downstream } from './layer-subscriber.js';
import type { AuthenticatedEvent, OpenEvent, SocketEvent } from './socket-event.js';

/**
 * One subscription's state in an operator over socket events: it observes the source and owns the
 * timers and auth rounds that `stop` cancels when the consumer leaves. A class per operator, not
 * closures, so thousands of sessions share its methods, and subscribed to the source as it is (see
 * {@link LayerSubscriber}): memory per session, see bench/RESULTS.md. A throw from `handle` (user
 * code: matchers, frame builders, reason extractors) errors the output with what it threw.
 *
 * LayerSubscriber itself, typed for socket events: an empty subclass would only add bytes.
 */
export const SocketLayer: abstract new (subscriber: Downstream<SocketEvent>) => LayerSubscriber<SocketEvent, SocketEvent> = LayerSubscriber;
export type SocketLayer = LayerSubscriber<SocketEvent, SocketEvent>;

/**
 * The operator that gives each subscription its own `Layer`, built with the operator's `settings`
 * and torn down with the subscription. The class and settings, not a factory closure: an app builds
 * its operators per session, and each closure costs a context too (memory per session). Every layer
 * over socket events uses it, including those that emit something else (`messages`).
 */
export function socketLayer<S, Out = SocketEvent>(
  Layer: new (subscriber: Subscriber<Out>, settings: S) => LayerSubscriber<SocketEvent, Out>,
  settings: S,
): OperatorFunction<SocketEvent, Out> {
  return (source) =>
    new Observable<Out>((subscriber) => {
      const layer = new Layer(subscriber, settings);
      source.subscribe(layer);
      return layer;
    });
}

/** The session is up: acknowledged by the server, or open with no `authenticate` in the pipe. */
export function isReady(event: SocketEvent): event is AuthenticatedEvent | OpenEvent {
  return event.type === 'authenticated' || (event.type === 'open' && event.connection.phase === 'ready');
}
