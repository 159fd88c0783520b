/**
 * Runs in Chromium (bundled by core-pipeline.spec.ts): the core operators on the browser's native
 * WebSocket, with no WebSocketCtor, exactly as a browser app would write them. What happens is
 * recorded on `window.pipelineLog` for the spec to read.
 */
import { Subscription, tap } from 'rxjs';
import {
  authenticate,
  fromWebSocket,
  heartbeat,
  messages,
  reauthOnExpiry,
  retryWithBackoff,
  waitForOpen,
  type SocketConnection,
} from '../../lib/index.js';
import { AuthExpired, AuthOk, ChatMessage, Pong } from '../../lib/testing/gateway-protocol.js';

declare global {
  interface Window {
    /** Provided by the spec (`page.exposeFunction`): a fresh token from the gateway. */
    issueToken(): Promise<string>;
  }
}

/** One line per lifecycle event or message, e.g. `authenticated`, `message 3 hi`. */
export const log: string[] = [];
let connection: SocketConnection | undefined;
let subscription: Subscription | undefined;

/** Subscribes the pipeline to the gateway at `url`. */
export function start(url: string): void {
  subscription = fromWebSocket(url)
    .pipe(
      waitForOpen(5_000),
      authenticate({ token: () => window.issueToken(), message: (token) => ({ type: 'auth', token }), ack: AuthOk, timeout: 5_000 }),
      heartbeat({ interval: 300, timeout: 600, ping: () => ({ type: 'ping' }), pong: Pong }),
      reauthOnExpiry({ expired: AuthExpired }),
      retryWithBackoff({ initialDelay: 50, maxDelay: 200 }),
      tap((event) => {
        if (event.type === 'frame') return;
        if (event.type === 'reconnecting') connection = undefined;
        else connection = event.connection;
        log.push(event.type === 'authenticated' && event.reauth ? 'reauthenticated' : event.type);
      }),
      messages(ChatMessage, { onInvalid: (error) => log.push(`invalid ${error.message}`) }),
    )
    .subscribe({
      next: (message) => log.push(`message ${message.id} ${message.text}`),
      error: (error: unknown) => log.push(`error ${String(error)}`),
    });
}

/** Sends an app frame on the current connection (held until it is ready). */
export function send(clientId: string, text: string): void {
  if (!connection) throw new Error('no connection');
  connection.send({ type: 'send', clientId, text });
}

/** Unsubscribes: the socket closes with 1000. */
export function stop(): void {
  subscription?.unsubscribe();
}
