/**
 * Type tests, never executed: `spec/types/inference.spec.ts` (and `npm run typecheck`) compile this
 * file. Each `assertType<Equal<...>>()` pins an inferred type; each `@ts-expect-error` pins a
 * compile error, and TypeScript itself reports a directive whose error has disappeared (TS2578).
 */
import * as t from 'io-ts';
import type { Observable } from 'rxjs';
import {
  authenticate,
  connect,
  fromWebSocket,
  heartbeat,
  messages,
  reauthOnExpiry,
  retryWithBackoff,
  waitForOpen,
  type SendReceipt,
  type SessionState,
  type SocketEvent,
  type SocketSession,
} from '../../lib/index.js';

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_ extends true>(): void {}

const ChatMessage = t.type({ type: t.literal('message'), id: t.number, text: t.string });
type ChatMessage = t.TypeOf<typeof ChatMessage>;
const Presence = t.type({ type: t.literal('presence'), user: t.string, online: t.boolean });
type Presence = t.TypeOf<typeof Presence>;
const SendRequest = t.type({ type: t.literal('send'), clientId: t.string, text: t.string });
type SendRequest = t.TypeOf<typeof SendRequest>;
const AuthOk = t.type({ type: t.literal('auth_ok') });

declare const events$: Observable<SocketEvent>;

export function theCodecTypeFlowsThroughThePipeline(): void {
  const typed$ = events$.pipe(
    waitForOpen(10_000),
    authenticate({ token: 'secret', message: (token) => ({ type: 'auth', token }), ack: AuthOk }),
    heartbeat({ interval: 25_000, timeout: 10_000, ping: () => ({ type: 'ping' }) }),
    reauthOnExpiry({ expired: (frame) => frame !== null }),
    retryWithBackoff(5),
    messages(ChatMessage),
  );
  assertType<Equal<typeof typed$, Observable<ChatMessage>>>();
  // @ts-expect-error the element type is the codec's, not unknown
  assertType<Equal<typeof typed$, Observable<unknown>>>();

  typed$.subscribe((message) => {
    assertType<Equal<typeof message.id, number>>();
    // @ts-expect-error text is a string
    const wrong: number = message.text;
    void wrong;
  });
}

export function aUnionCodecGivesADiscriminatedUnion(): void {
  events$.pipe(messages(t.union([ChatMessage, Presence]))).subscribe((message) => {
    assertType<Equal<typeof message, ChatMessage | Presence>>();
    if (message.type === 'presence') assertType<Equal<typeof message.online, boolean>>();
    // @ts-expect-error not narrowed: a chat message has no `online`
    void message.online;
  });
}

export function connectInfersEverythingFromItsConfig(): void {
  const session = connect({
    url: 'wss://chat.example.com/ws',
    inbound: ChatMessage,
    outbound: SendRequest,
    token: () => Promise.resolve({ jwt: 'x', tenant: 7 }),
    // Before `auth`: TypeScript infers context-sensitive callbacks in order, so `idOf` must come
    // first for `lastId` to be typed from it (after `auth`, `lastId` is `unknown`).
    resume: { idOf: (message) => message.id },
    auth: {
      message: (token, { lastId }) => {
        assertType<Equal<typeof token, { jwt: string; tenant: number }>>();
        assertType<Equal<typeof lastId, number | undefined>>();
        return { type: 'auth', token: token.jwt, resumeFrom: lastId };
      },
      ack: AuthOk,
    },
  });
  assertType<Equal<typeof session, SocketSession<ChatMessage, SendRequest>>>();
  assertType<Equal<typeof session.messages$, Observable<ChatMessage>>>();
  assertType<Equal<ReturnType<typeof session.send>, SendReceipt>>();
  session.send({ type: 'send', clientId: 'c-1', text: 'hi' });
  // @ts-expect-error the outbound codec requires clientId
  session.send({ type: 'send', text: 'hi' });
  // @ts-expect-error sends are typed by the outbound codec
  session.send('hi');
}

export function sessionWithoutOutboundCodecSendsUnknown(): void {
  // SocketSession<In> names a session without an outbound codec, as ConnectConfig<In> does.
  const session: SocketSession<ChatMessage> = connect({ url: 'wss://x', inbound: ChatMessage });
  assertType<Equal<typeof session, SocketSession<ChatMessage, unknown>>>();
  session.send({ anything: true });
}

export function connectInfersInAndOutFromTheCodecs(): void {
  // (was spec/session/connect.spec.ts "infers In and Out from the codecs")
  const session = connect({ url: 'wss://x', inbound: ChatMessage, outbound: t.type({ n: t.number }) });
  assertType<Equal<typeof session, SocketSession<ChatMessage, { n: number }>>>();
  session.messages$.subscribe((message) => {
    assertType<Equal<typeof message, ChatMessage>>();
    message.text.toUpperCase();
    // @ts-expect-error an inbound message has only the codec's fields
    void message.user;
  });
  session.send({ n: 1 });
  // @ts-expect-error n must be a number
  session.send({ n: 'one' });
}

export function resumeWithFromAckTypesLastIdFromIdOf(): void {
  // (was spec/session/resume.spec.ts "types lastId from idOf when resume comes before auth")
  const AuthOkAt = t.intersection([t.type({ type: t.literal('auth_ok') }), t.partial({ lastId: t.number })]);
  connect({
    url: 'wss://x',
    inbound: ChatMessage,
    token: 'secret',
    resume: { idOf: (message) => message.id, fromAck: (ack) => (AuthOkAt.is(ack) ? ack.lastId : undefined) },
    auth: {
      message: (token, { lastId }) => {
        assertType<Equal<typeof lastId, number | undefined>>();
        // @ts-expect-error lastId is undefined until a position is known
        void lastId.toFixed(0);
        return { type: 'auth', token, resumeFrom: lastId?.toFixed(0) };
      },
      ack: AuthOkAt,
    },
  });
  connect({
    url: 'wss://x',
    inbound: ChatMessage,
    token: 'secret',
    // @ts-expect-error fromAck returns the type of the ids idOf returns
    resume: { idOf: (message) => message.id, fromAck: () => 'seven' },
    auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOkAt },
  });
}

export function sessionStatesAreNarrowedByType(state: SessionState): void {
  if (state.type === 'reconnecting') assertType<Equal<typeof state.attempt, number>>();
  // @ts-expect-error only a reconnecting state has an attempt
  void state.attempt;
}

export function wrongConfigDoesNotCompile(): void {
  // @ts-expect-error inbound is required
  connect({ url: 'wss://x' });
  // @ts-expect-error inbound must be an io-ts codec, not a predicate
  connect({ url: 'wss://x', inbound: (value: unknown) => value !== null });
  // @ts-expect-error overflow is 'reject' or 'drop-oldest'
  connect({ url: 'wss://x', inbound: ChatMessage, overflow: 'drop-newest' });
  // @ts-expect-error the scheduler of heartbeat belongs to the session, not to its heartbeat
  connect({ url: 'wss://x', inbound: ChatMessage, heartbeat: { interval: 1_000, scheduler: undefined } });
  // @ts-expect-error a typo in an option name
  fromWebSocket('wss://x', { protocol: 'graphql-transport-ws' });
  // @ts-expect-error timeouts are numbers of milliseconds
  waitForOpen({ timeout: '10s' });
  // @ts-expect-error authenticate needs an ack matcher
  authenticate({ token: 'secret', message: (token: string) => ({ type: 'auth', token }) });
  // @ts-expect-error jitter is 'full', 'equal', 'decorrelated' or 'none'
  retryWithBackoff({ jitter: 'sometimes' });
  // @ts-expect-error messages needs a codec
  messages((value: unknown) => value);
}
