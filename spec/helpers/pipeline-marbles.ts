import type { Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { fromWebSocket } from '../../lib/from-web-socket.js';
import type { SocketEvent } from '../../lib/socket-event.js';
import { scriptedWebSocket, type ServerAction } from '../../lib/testing/scripted-web-socket.js';

/** A readable name for an event, so marble expectations stay short and comparable. */
export function describeEvent(event: SocketEvent): string {
  switch (event.type) {
    case 'frame':
      return `frame:${typeof event.frame.data === 'string' ? event.frame.data : 'binary'}`;
    case 'authenticated':
      return event.reauth ? 'reauthed' : 'authed';
    case 'reauthenticating':
      return `reauth:${event.trigger}`;
    case 'reconnecting':
      return `reconnecting:${event.attempt}:${event.delay}`;
    default:
      return event.type;
  }
}

/** A `fromWebSocket` source whose sockets play the given scripts in virtual time. */
export function scriptedSource(
  scheduler: TestScheduler,
  scriptFor: (index: number) => Observable<ServerAction>,
): { source$: Observable<SocketEvent>; sockets: ReturnType<typeof scriptedWebSocket>['sockets'] } {
  const { WebSocketCtor, sockets } = scriptedWebSocket(scheduler, scriptFor);
  return { source$: fromWebSocket('ws://gateway.localhost', { WebSocketCtor, scheduler }), sockets };
}
