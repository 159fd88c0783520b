/**
 * The main demo: an embedded strict gateway and one client session made with `connect()`, walked
 * through a wrong auth payload, auth, typed messages, bad frames, idle vs heartbeat, token expiry
 * and re-auth on the same socket, an abrupt drop with backoff, and a half-open connection caught by
 * the heartbeat. It prints every `state$` transition, and shows sends made during a fault delivered
 * once and in order. Exits by itself in about 10 s.
 *
 *   npm install && npm run demo
 */
import * as t from 'io-ts';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { WebSocket } from 'ws';
import {
  connect,
  type SendReceipt,
  type SessionState,
  type SessionStateType,
  type SocketSession,
  type WebSocketCtor,
} from '../lib/index.js';
import { Accepted, AuthError, AuthExpired, AuthOk, ChatMessage, Pong, SendRequest } from '../lib/testing/gateway-protocol.js';
import { ReferenceGateway } from '../lib/testing/reference-gateway.js';

const started = performance.now();
const say = (what: string, detail = '') =>
  console.log(`${String(Math.round(performance.now() - started)).padStart(6)} ms  ${what.padEnd(18)} ${detail}`);
// Banners fill 78 columns; a title longer than 71 characters still gets a rule of 3.
const chapter = (title: string) => console.log(`\n── ${title} ${'─'.repeat(Math.max(3, 74 - title.length))}`);

const gateway = await ReferenceGateway.start({ authTimeout: 2_000, idleTimeout: 3_000, reauthGrace: 2_000 });
const ws: WebSocketCtor = WebSocket; // `ws` fits the WebSocketLike shape as it is: no cast
const Inbound = t.union([ChatMessage, Accepted]);

chapter('1. A client that gets the auth payload wrong');
say('gateway', `strict gateway listening on ${gateway.url}`);
const wrong = connect({
  url: gateway.url,
  WebSocketCtor: ws,
  inbound: Inbound,
  token: 'not-a-token-we-issued',
  auth: { message: (token) => ({ type: 'auth', jwt: token }), ack: AuthOk, timeout: 3_000 },
  retry: false, // a silent 1000 is retried by default (the token may be refreshed); here: diagnose it
});
wrong.messages$.subscribe({ error: () => undefined });
const failed = await until(wrong, 'closed');
say('closed', describeState(failed));

chapter('2. A session: connect(), state$, auth, typed messages, sends');
let tokensIssued = 0;
const session = connect({
  url: gateway.url,
  WebSocketCtor: ws,
  inbound: Inbound,
  outbound: SendRequest,
  token: async () => {
    tokensIssued++;
    return gateway.issueToken({ subject: 'guest-42' });
  },
  // Before `auth`, so that `lastId` is inferred from `idOf`.
  resume: {
    idOf: (frame) => (frame.type === 'message' ? frame.id : undefined),
    fromAck: (ack) => (AuthOk.is(ack) ? ack.lastId : undefined),
  },
  auth: {
    message: (token, { lastId }) => (lastId === undefined ? { type: 'auth', token } : { type: 'auth', token, resumeFrom: lastId }),
    ack: AuthOk,
    reject: AuthError,
    expired: AuthExpired,
    timeout: 3_000,
  },
  heartbeat: { interval: 1_000, timeout: 1_000, ping: () => ({ type: 'ping' }), pong: Pong },
  retry: { initialDelay: 300, maxDelay: 2_000 },
  sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined) },
});
let sockets = 0;
let readyAt = 0; // when the session last became ready (for section 7)
session.state$.subscribe((state) => {
  if (state.type === 'connecting') sockets++;
  if (state.type === 'ready') readyAt = performance.now();
  say(`state: ${state.type}`, describeState(state));
});
session.invalid$.subscribe((error) => say('invalid frame', `${error.name} (${error.kind}): ${error.message}`));
const seen = new Map<number, number>(); // message id -> times delivered
session.messages$.subscribe((frame) => {
  if (frame.type !== 'message') return;
  seen.set(frame.id, (seen.get(frame.id) ?? 0) + 1);
  say('message', `#${frame.id} ${frame.from}: ${frame.text}`);
});
const sent: string[] = [];
const post = (clientId: string, text: string): SendReceipt => {
  sent.push(clientId);
  const receipt = session.send({ type: 'send', clientId, text });
  say('send', `${clientId} (${receipt.status})`);
  return receipt;
};

await post('c-1', 'hello, queued before the auth ack and written right after it');
gateway.publish('welcome, guest-42');
await pause(300);

chapter('3. Bad frames are reported on invalid$, typed, and the stream goes on');
gateway.sendMalformed('json');
gateway.sendMalformed('schema');
gateway.publish('still here after two bad frames');
await pause(300);

chapter('4. Idle: sockets silent for 3 s get closed; the heartbeat keeps ours up');
const silent = connect({
  url: gateway.url,
  WebSocketCtor: ws,
  inbound: Inbound,
  token: () => gateway.issueToken({ subject: 'silent-one' }),
  auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
  retry: false,
});
silent.messages$.subscribe({ error: () => undefined });
const silentClosed = until(silent, 'closed', 6_000);
await until(silent, 'ready');
say('second session', 'the same gateway, no heartbeat, says nothing');
say('second session', describeState(await silentClosed));
say('check', `our session is still ${session.state.type} on socket #${sockets}`);

chapter('5. The token expires: re-auth on the same socket, sends held meanwhile');
const socketsBefore = sockets;
const reauth = until(session, 'reauthenticating');
gateway.expireTokens();
await reauth;
const held = post('c-2', 'sent during the re-auth, held until the new ack');
await held;
say('check', `c-2 ${held.status}; same socket: ${sockets === socketsBefore}; tokens fetched: ${tokensIssued}`);

chapter('6. All connections dropped: backoff, a new socket, queued sends survive');
const reconnecting = until(session, 'reconnecting');
gateway.dropAll();
await reconnecting;
const duringDrop = [post('c-3', 'sent while reconnecting'), post('c-4', 'also while reconnecting')];
gateway.publish('published while the client was away (replayed on resume)');
await Promise.all(duringDrop);
await pause(300);

chapter('7. Half-open: the gateway stops answering but TCP stays up');
const detected = until(session, 'reconnecting', 5_000);
gateway.goHalfOpen();
say('fault', 'half-open: no close, no pong');
const retry = await detected;
const readyFor = Math.round(performance.now() - readyAt);
// retryWithBackoff's resetAfter (default 5000 ms): a connection ready for less than that counts as
// the same outage, so the attempt count and the backoff go on from section 6 instead of restarting.
if (retry.attempt > 1)
  say('note', `attempt ${retry.attempt}, not 1: ready for ${readyFor} ms only, under retry.resetAfter (5000 ms), so the same outage as 6`);
const afterHalfOpen = post('c-5', 'sent while the heartbeat gave up on the dead socket');
await afterHalfOpen;
await pause(300);

chapter('Done');
session.close();
const accepted = gateway.accepted.map((message) => message.clientId);
const duplicates = [...seen.values()].filter((times) => times > 1).length;
say('summary', `${sockets} sockets, ${tokensIssued} tokens, messages received ${seen.size}, duplicates ${duplicates}`);
say(
  'summary',
  `sends accepted by the gateway, in order: ${accepted.join(', ')} (${sameList(accepted, sent) ? 'each once, as sent' : 'MISMATCH'})`,
);
await gateway.close();

/** The next state of this type (or the current one if it already is). */
function until<K extends SessionStateType>(
  target: SocketSession<unknown, unknown>,
  type: K,
  ms = 8_000,
): Promise<Extract<SessionState, { type: K }>> {
  return firstValueFrom(
    target.state$.pipe(
      filter((state): state is Extract<SessionState, { type: K }> => state.type === type),
      timeout(ms),
    ),
  );
}

function describeState(state: SessionState): string {
  switch (state.type) {
    case 'connecting':
      return 'a new socket';
    case 'authenticating':
      return 'open; auth frame sent, sends wait for the ack';
    case 'ready':
      return 'acknowledged: queued sends flow';
    case 'reauthenticating':
      return `token ${state.trigger}: fresh token, auth again on this socket`;
    case 'reconnecting': {
      const cause = state.cause as Error;
      return `attempt ${state.attempt} in ${state.delay} ms, because ${cause.name}: ${cause.message}`;
    }
    case 'closed':
      return state.error === undefined ? 'by close()' : `${(state.error as Error).name}: ${(state.error as Error).message}`;
    case 'idle':
      return 'no socket';
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
