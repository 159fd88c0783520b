/**
 * The main demo: an embedded strict gateway and one client session, walked through auth, typed
 * messages, token expiry and re-auth on the same socket, an abrupt drop with backoff, and a
 * half-open connection caught by the heartbeat. Prints a timeline and exits by itself.
 *
 *   npm install && npm run demo
 */
import * as t from 'io-ts';
import { filter, firstValueFrom, lastValueFrom, share, Subject, takeUntil, timeout } from 'rxjs';
import { WebSocket } from 'ws';
import {
  authenticate,
  fromWebSocket,
  heartbeat,
  messages,
  reauthOnExpiry,
  retryWithBackoff,
  waitForOpen,
  type SocketEvent,
  type WebSocketCtor,
} from '../lib/index.js';
import { Accepted, AuthError, AuthExpired, AuthOk, ChatMessage, Pong } from '../lib/testing/gateway-protocol.js';
import { ReferenceGateway } from '../lib/testing/reference-gateway.js';

const started = performance.now();
const say = (what: string, detail = '') =>
  console.log(`${String(Math.round(performance.now() - started)).padStart(6)} ms  ${what.padEnd(18)} ${detail}`);
const chapter = (title: string) => console.log(`\n── ${title} ${'─'.repeat(Math.max(0, 70 - title.length))}`);

const gateway = await ReferenceGateway.start({ authTimeout: 2_000, idleTimeout: 3_000, reauthGrace: 2_000 });
const ws = WebSocket as unknown as WebSocketCtor;

chapter('1. A client that gets the auth payload wrong');
say('gateway', `strict gateway listening on ${gateway.url}`);
const wrongSchema$ = fromWebSocket(gateway.url, { WebSocketCtor: ws }).pipe(
  waitForOpen(5_000),
  authenticate({ token: 'not-a-token-we-issued', message: (token) => ({ type: 'auth', jwt: token }), ack: AuthOk, timeout: 3_000 }),
);
await lastValueFrom(wrongSchema$).catch((error: Error) => say(error.name, error.message));

chapter('2. The full pipeline');
let tokensIssued = 0;
const fetchToken = async () => {
  tokensIssued++;
  return gateway.issueToken({ subject: 'guest-42' });
};
const stop = new Subject<void>();
const events$ = fromWebSocket(gateway.url, { WebSocketCtor: ws }).pipe(
  waitForOpen(5_000),
  authenticate({ token: fetchToken, message: (token) => ({ type: 'auth', token }), ack: AuthOk, reject: AuthError, timeout: 3_000 }),
  heartbeat({ interval: 1_000, timeout: 1_000, ping: () => ({ type: 'ping' }), pong: Pong }),
  reauthOnExpiry({ expired: AuthExpired }),
  retryWithBackoff({ initialDelay: 300, maxDelay: 2_000 }),
  takeUntil(stop),
  share(),
);

let sockets = 0;
events$.subscribe({
  next: (event) => {
    if (event.type === 'connecting') sockets++;
    if (event.type !== 'frame') say(event.type, describe(event));
  },
  error: (error: Error) => say('fatal', error.message),
});
// The typed end: what the app sees is exactly this union, validated at runtime.
const Inbound = t.union([ChatMessage, Accepted]);
events$
  .pipe(messages(Inbound, { onInvalid: (error) => say('invalid frame', `${error.name} (${error.kind}): ${error.message}`) }))
  .subscribe((frame) =>
    frame.type === 'message'
      ? say('message', `#${frame.id} ${frame.from}: ${frame.text}`)
      : say('accepted', `the gateway accepted ${frame.clientId} as #${frame.id}`),
  );
const next = <T extends SocketEvent['type']>(type: T, ms = 8_000) =>
  firstValueFrom(
    events$.pipe(
      filter((event): event is Extract<SocketEvent, { type: T }> => event.type === type),
      timeout(ms),
    ),
  );

const ready = await next('authenticated');
ready.connection.send({ type: 'send', clientId: 'c-1', text: 'hello from the client' });
gateway.publish('welcome, guest-42');
await pause(400);

chapter('3. Bad frames are reported, typed, and the stream goes on');
gateway.sendMalformed('json');
gateway.sendMalformed('schema');
gateway.publish('still here after two bad frames');
await pause(300);

chapter('4. Idle: the gateway kills sockets silent for 3 s; the heartbeat keeps this one');
await pause(3_500);
say('check', `${sockets} socket(s) so far: the idle limit never hit`);

chapter('5. The token expires: re-auth on the same socket, sends held meanwhile');
const socketsBefore = sockets;
gateway.expireTokens();
const reauth = await next('reauthenticating');
reauth.connection.send({ type: 'send', clientId: 'c-2', text: 'sent during re-auth, held until the ack' });
await next('authenticated');
await pause(300);
say('check', `same socket: ${sockets === socketsBefore}, tokens fetched: ${tokensIssued}`);

chapter('6. The gateway drops every connection: backoff, then a new socket');
gateway.dropAll();
await next('authenticated');
await pause(300);

chapter('7. Half-open: the gateway stops answering but TCP stays up');
gateway.goHalfOpen();
await next('reconnecting', 5_000);
await next('authenticated');
await pause(300);

chapter('Done');
stop.next();
await gateway.close();
say('summary', `${sockets} sockets, ${tokensIssued} tokens, ${gateway.accepted.length} messages accepted by the gateway`);

function describe(event: SocketEvent): string {
  switch (event.type) {
    case 'authenticated':
      return event.reauth ? 'ack for the re-auth, app frames released' : 'auth ack: session ready';
    case 'reauthenticating':
      return `token ${event.trigger}: fetching a fresh one, sending auth again on this socket`;
    case 'reconnecting':
      return `attempt ${event.attempt} in ${event.delay} ms, because ${(event.cause as Error).name}: ${(event.cause as Error).message}`;
    case 'frame':
      return '';
    default:
      return '';
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
