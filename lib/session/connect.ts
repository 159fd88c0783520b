import type * as t from 'io-ts';
import {
  asyncScheduler,
  defer,
  EMPTY,
  filter,
  identity,
  isObservable,
  Observable,
  repeat,
  Subject,
  throwError,
  type SchedulerLike,
  type Subscriber,
  Subscription,
} from 'rxjs';
import type { DecodeError } from '../errors.js';
import { assertMatcher, never, type FrameMatcher } from '../frame-matcher.js';
import { fromWebSocket } from '../from-web-socket.js';
import { LayerSubscriber } from '../layer-subscriber.js';
import { authenticate } from '../operators/authenticate.js';
import { heartbeat, type HeartbeatConfig } from '../operators/heartbeat.js';
import { messages } from '../operators/messages.js';
import { reauthOnExpiry } from '../operators/reauth-on-expiry.js';
import { retryWithBackoff, type RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';
import { waitForOpen } from '../operators/wait-for-open.js';
import type { Serializer } from '../socket-connection.js';
import type { TokenSource } from '../token-source.js';
import type { WebSocketCtor } from '../web-socket-like.js';
import { reconnectOnDrain } from './drain.js';
import { withMaxPayload } from './max-payload.js';
import { reconnectNowOn } from './reconnect-now.js';
import { SessionClosedError } from './errors.js';
import { assertRateLimit, type RateLimit } from './rate-limit.js';
import { assertResume, ResumeTracker, type ResumeConfig, type ResumeInfo } from './resume.js';
import { driveSession, type LiveSocket } from './session-driver.js';
import { sharedWithGrace } from './shared-with-grace.js';
import { UnobservedBuffer } from './unobserved-buffer.js';
import { SendQueue, type DroppedSend, type Overflow, type Writer } from './send-queue.js';
import { failedReceipt, type SendReceipt } from './send-receipt.js';
import { StateCell, type SessionState } from './session-state.js';
import { checkDuration, checkOption } from '../check-option.js';

/** How a session authenticates: the `authenticate` (and `reauthOnExpiry`) options, minus the token. */
export interface SessionAuthConfig<TToken = string, Id = unknown> {
  /**
   * Builds the auth frame from a fresh token, on every connect and re-auth. `resume.lastId` is the
   * id of the last inbound message delivered (with `resume`; before the first one, the position
   * from `resume.from` or `resume.fromAck`), for servers that replay from it. The token belongs in
   * this payload, never in the URL.
   */
  message: (token: TToken, resume: ResumeInfo<Id>) => unknown;
  /** Recognises the server's ack: an io-ts codec or a predicate over the parsed frame. */
  ack: FrameMatcher;
  /**
   * Recognises an explicit reject frame (a fatal `AuthRejectedError`).
   * @default undefined
   */
  reject?: FrameMatcher;
  /**
   * Extracts the reason from a reject frame.
   * @default the first of `reason`, `message`, `error`, `code`, `status`
   */
  rejectReason?: (frame: unknown) => string;
  /**
   * Milliseconds from open until the ack must have arrived; 0 disables the deadline.
   * @default 10000
   */
  timeout?: number;
  /**
   * When a token expires (epoch ms), for `refreshBefore`.
   * @default the `exp` claim of a JWT
   */
  expiresAt?: (token: TToken) => number | undefined;
  /**
   * Recognises the server's "token expired" notice: the session re-authenticates on the same socket.
   * @default undefined (no re-auth on the same socket; an expiry close reconnects)
   */
  expired?: FrameMatcher;
  /**
   * Re-authenticate this many ms before the token expires.
   * @default undefined
   */
  refreshBefore?: number;
  /**
   * Deadline of a re-auth's ack, in ms.
   * @default `timeout`
   */
  reauthTimeout?: number;
}

/** How the server acknowledges an app message, so `send` can settle on the ack and re-send on loss. */
export interface SendAckConfig<Out> {
  /** The key of an outbound message that its ack will name (a client id); `undefined`: no ack expected. */
  keyOf: (message: Out) => string | undefined;
  /**
   * The key an inbound frame acknowledges, or `undefined` when the frame is not an ack. Acks that
   * match `inbound` still reach `messages$`; others are consumed (never reported as invalid).
   */
  ackedKey: (frame: unknown) => string | undefined;
  /**
   * Recognises the server's refusal of one message (e.g. "message too long"), which it would
   * refuse again: that message's receipt rejects with `error`, `dropped$` reports it, and it is
   * never written again (not even after a reconnect). `key` names it; leave it out when the
   * refusal does not say which message it answers, and the oldest message awaiting its ack is
   * taken (servers answer in order). `undefined` for any other frame. Refusals that match
   * `inbound` still reach `messages$`; others are consumed.
   * @default undefined (a refused message stays pending and is written again after a reconnect)
   * @example
   * failed: (frame) => (Refused.is(frame) ? { key: frame.clientId, error: new SendRejectedError(frame.reason, frame.code) } : undefined),
   */
  failed?: (frame: unknown) => SendFailure | undefined;
}

/** What `sendAck.failed` returns for a refusal: which message, and the error its receipt rejects with. */
export interface SendFailure {
  /**
   * The key (`keyOf`) of the refused message.
   * @default the oldest message awaiting its ack
   */
  readonly key?: string;
  /** The error the receipt rejects with and `dropped$` reports, e.g. a `SendRejectedError`. */
  readonly error: Error;
}

/** Configuration of {@link connect}. Presets from `lib/protocols/` are plain objects to spread into it. */
export interface ConnectConfig<In, Out = unknown, TToken = string, Id = unknown> {
  /** The endpoint, or a function called on every (re)connect. Never put a token in it. */
  url: string | (() => string);
  /** io-ts codec of inbound app messages; frames that fail it go to `invalid$`. */
  inbound: t.Type<In, unknown, unknown>;
  /**
   * io-ts codec of outbound app messages: `send` checks with `is` and writes `encode`'s output.
   * @default undefined (messages are sent as they are)
   */
  outbound?: t.Type<Out, unknown, unknown>;
  /**
   * The token: a value, or a function returning a value, Promise or Observable, called afresh on
   * every (re)connect and re-auth. Required with `auth`.
   */
  token?: TokenSource<TToken>;
  /**
   * The auth exchange. Without it the session is ready as soon as the socket opens.
   * @default undefined
   */
  auth?: SessionAuthConfig<TToken, Id>;
  /**
   * Keepalive and dead-connection detection (the `heartbeat` operator's options); `false` for none.
   * @default false
   */
  heartbeat?: Omit<HeartbeatConfig, 'scheduler'> | false;
  /**
   * Reconnect policy (the `retryWithBackoff` operator's options); `false` makes every failure final.
   * @default {} (retry with the operator's defaults)
   */
  retry?: Omit<RetryWithBackoffConfig, 'scheduler'> | false;
  /**
   * Milliseconds the socket may take to open; 0 waits forever.
   * @default 10000
   */
  connectTimeout?: number;
  /**
   * Milliseconds the socket stays open after the last subscriber of `messages$` left (and no send
   * is pending), so a route change does not reconnect: 0 to 2147483647 (the longest timer a
   * runtime keeps), or `Infinity` to keep it until `close()`.
   * @default 1000
   */
  grace?: number;
  /**
   * Most never-written messages waiting to be written; see `overflow`.
   * @default 1000
   */
  maxQueued?: number;
  /**
   * When `maxQueued` are waiting: 'reject' refuses the new send with `SendQueueFullError`;
   * 'drop-oldest' gives up the oldest waiting one (`SendDroppedError`, reported on `dropped$`).
   * @default 'reject'
   */
  overflow?: Overflow;
  /**
   * Milliseconds a message may wait for the connection before it is given up (`SendExpiredError`):
   * above 0 and at most 2147483647, or `Infinity` for never; per message with
   * `send(message, { expireAfter })`. Once written, a message never expires.
   * @default Infinity
   */
  expireAfter?: number;
  /**
   * Acks of app messages: receipts settle on the ack, and messages written on a socket that died
   * before their ack are written again on the next one (at-least-once: make them idempotent).
   * @default undefined (a receipt settles once the frame is written)
   */
  sendAck?: SendAckConfig<Out>;
  /**
   * Outbound rate limit for app messages, e.g. `{ messages: 2, perMs: 1000 }`; messages over it
   * wait in order (only their own `expireAfter` can give them up). Protocol frames (auth, pings)
   * are not counted.
   * @default undefined
   */
  rateLimit?: RateLimit;
  /**
   * Recognises a server's "too many requests, retry after" answer and returns the wait in ms
   * (`undefined` for any other frame). The queue pauses that long (at most about 24.8 days; NaN,
   * a delay it cannot read, pauses 1 s; a negative one, not at all); with `sendAck` the refused
   * message is written again. Such frames are consumed.
   * @default undefined
   */
  retryAfter?: (frame: unknown) => number | undefined;
  /**
   * Resume: remember the id of the last inbound message, pass it to `auth.message` on reconnect,
   * and drop replayed duplicates. Write it before `auth` in the config object: TypeScript infers
   * `Id` (the type of `lastId` in `auth.message`) from `resume.idOf`, in the order it reads them.
   * @default undefined
   */
  resume?: ResumeConfig<In, Id>;
  /**
   * Recognises the server's "this socket closes soon" notice: the session reconnects at once,
   * before the server closes it. The notice is consumed.
   * @default undefined
   */
  drain?: FrameMatcher;
  /**
   * A "try now" signal: each value that arrives while the session waits to reconnect ends the wait,
   * so it reconnects at once (and the backoff starts over); values at other times are ignored.
   * In a browser, `fromEvent(window, 'online')`. Subscribed only while the session has a socket
   * or is reconnecting; an error of it fails the session. Ignored with `retry: false`; each use
   * also restarts `retry.maxAttempts` and `maxElapsed`.
   * @default undefined
   */
  reconnectNow?: Observable<unknown>;
  /**
   * What a frame that fails `inbound` does: 'report' it on `invalid$` and go on, or 'error' the session.
   * @default 'report'
   */
  invalid?: 'report' | 'error';
  /**
   * The WebSocket implementation (in Node < 22 pass `WebSocket` from `ws`).
   * @default globalThis.WebSocket
   */
  WebSocketCtor?: WebSocketCtor;
  /**
   * Subprotocols offered in the handshake.
   * @default undefined
   */
  protocols?: string | string[];
  /**
   * Accept a plain `ws://` URL to another machine (see `fromWebSocket`): without it such a URL is
   * refused, since the auth frame and its token would cross the network unencrypted.
   * @default false
   */
  allowInsecure?: boolean;
  /**
   * Turns outbound values (app messages after `encode`, protocol frames) into text frames.
   * @default JSON.stringify
   */
  serialize?: Serializer;
  /**
   * Inbound frames longer than this are reported on `invalid$` as too large (kind 'too-large'),
   * not parsed, and the session goes on. The frame was still received and buffered: see `maxPayload`.
   * @default 1048576
   */
  maxFrameBytes?: number;
  /**
   * `ws` only (needs `WebSocketCtor`): the largest inbound frame in bytes that `ws` accepts; it is
   * passed as `new WebSocketCtor(url, protocols, { maxPayload })`. A larger frame is refused before
   * it is buffered, the socket closes with 1009 and the session ends with `FrameRejectedError`
   * (1009 is fatal in the close-code policy). Keep it above `maxFrameBytes`, which reports smaller
   * oversized frames without ending anything. Browsers and Node's global WebSocket ignore it.
   * @default undefined (`ws`'s own limit, 100 MiB)
   */
  maxPayload?: number;
  /**
   * Scheduler for every timer of the session and its operators (a TestScheduler in marble tests).
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/** Options of one `send`. */
export interface SendOptions {
  /**
   * Milliseconds this message may wait for the connection before it is given up: above 0 and at
   * most 2147483647, or `Infinity` for never (a bad value fails the receipt with a TypeError).
   * @default the session's `expireAfter`
   */
  expireAfter?: number;
}

/** What {@link connect} returns: one self-healing connection, shared by everything in the app. */
export interface SocketSession<In, Out = unknown> {
  /**
   * Typed inbound messages, shared: one socket however many subscribe. The socket opens on the
   * first subscriber (or send) and closes `grace` ms after the last one left. Completes on
   * `close()`, errors with the cause of a fatal failure.
   */
  readonly messages$: Observable<In>;
  /** The current state, then every change (no repeats); fine for Angular's `async` pipe. */
  readonly state$: Observable<SessionState>;
  /** The current state. */
  readonly state: SessionState;
  /** Inbound frames that failed to decode, as typed `DecodeError`s (when `invalid` is 'report'). */
  readonly invalid$: Observable<DecodeError>;
  /** Messages that were queued and then given up: dropped on overflow, expired, or the session ended. */
  readonly dropped$: Observable<DroppedSend<Out>>;
  /** Messages not yet delivered (waiting, or written and awaiting their ack). */
  readonly pending: number;
  /**
   * Sends an app message: encoded now, queued, and written in order once the session is ready
   * (never before the auth ack), at the pace of `rateLimit`. Opens the socket if needed.
   */
  send(message: Out, options?: SendOptions): SendReceipt;
  /**
   * Ends the session: closes the socket (1000), cancels every timer, gives up undelivered messages
   * (`SessionClosedError`), completes `messages$`, and moves to `closed`. Idempotent.
   */
  close(): void;
}

/**
 * Opens a session: the operators composed from one config (connect timeout, auth, heartbeat,
 * re-auth on expiry, reconnect with backoff, drain, typed messages), plus a state machine, an
 * auth-gated bounded send queue with rate limit, and resume with de-duplication.
 *
 * @example
 * const session = connect({
 *   url: gateway.url,
 *   WebSocketCtor: WebSocket,
 *   inbound: ChatMessage,
 *   outbound: SendRequest,
 *   token: () => fetchToken(),
 *   // resume before auth: `lastId` below is typed from `idOf` (after auth it would be `unknown`)
 *   resume: { idOf: (message) => message.id, fromAck: (ack) => (AuthOk.is(ack) ? ack.lastId : undefined) },
 *   auth: { message: (token, { lastId }) => ({ type: 'auth', token, resumeFrom: lastId }), ack: AuthOk },
 * });
 * session.state$.subscribe((state) => console.log(state.type));
 * session.messages$.subscribe((message) => console.log(message.text));
 * await session.send({ type: 'send', clientId: 'c-1', text: 'hello' });
 * // idle, connecting, authenticating, ready, hello
 * session.close();
 * // closed
 * @see SessionState, SendReceipt
 */
export function connect<In, Out = unknown, TToken = string, Id = unknown>(
  config: ConnectConfig<In, Out, TToken, Id>,
): SocketSession<In, Out> {
  validate(config as ConnectConfig<unknown, unknown, unknown, unknown>);
  const {
    url,
    inbound,
    outbound,
    token,
    auth,
    heartbeat: heartbeatConfig = false,
    retry = {},
    connectTimeout = 10_000,
    grace = 1000,
    maxQueued = 1000,
    overflow = 'reject',
    expireAfter = Infinity,
    sendAck,
    rateLimit,
    retryAfter,
    resume,
    drain,
    reconnectNow,
    invalid = 'report',
    WebSocketCtor,
    protocols,
    allowInsecure,
    serialize = JSON.stringify,
    maxFrameBytes,
    maxPayload,
    scheduler = asyncScheduler,
  } = config;

  const state = new StateCell();
  const invalid$ = new Subject<DecodeError>();
  const dropped$ = new Subject<DroppedSend<Out>>();
  // The session's last layer while subscribed: close() completes it (a field, not a Subject).
  let ending: SessionEnd<In> | undefined;
  const tracker = resume ? new ResumeTracker<In, Id>(resume) : undefined;
  // With resume, what arrives while nobody subscribes is kept: the position has moved past it.
  const unobserved = resume ? new UnobservedBuffer<In>(resume.maxUnobserved ?? 1000) : undefined;
  let subscribers = 0;
  let closed = false;
  let failure: { error: unknown } | undefined;
  // The current socket and the last ack frame, shared with the session's driver (session-driver.ts).
  const live: LiveSocket = { connection: undefined, ackFrame: undefined };
  let hold: Subscription | undefined;

  const releaseHold = () => {
    const held = hold;
    hold = undefined;
    held?.unsubscribe();
  };
  const queue = new SendQueue<Out>({
    maxQueued,
    overflow,
    expireAfter,
    rateLimit,
    awaitsAck: sendAck !== undefined,
    scheduler,
    onDropped: (dropped) => dropped$.next(dropped),
    // A pending send keeps the socket wanted, as a subscriber would.
    onPendingChange: (pending) => (pending > 0 ? holdOpen() : releaseHold()),
  });
  const writer: Writer = (frame) => {
    const { connection } = live;
    if (!connection || connection.phase !== 'ready' || !connection.isOpen) return false;
    try {
      connection.send(frame);
      return true;
    } catch {
      return false; // closing: the close that follows moves the session on
    }
  };

  // ---- the pipeline: core operators, composed -------------------------------------------------
  const socketCtor = WebSocketCtor && maxPayload !== undefined ? withMaxPayload(WebSocketCtor, maxPayload) : WebSocketCtor;
  let events$ = fromWebSocket(url, { WebSocketCtor: socketCtor, protocols, serialize, maxFrameBytes, allowInsecure, scheduler }).pipe(
    waitForOpen({ timeout: connectTimeout, scheduler }),
  );
  // `live.ackFrame`: the last frame `auth.ack` recognised on this socket, for `resume.fromAck` (the
  // ack itself is consumed by `authenticate`, which emits 'authenticated' right after it).
  if (auth) {
    const build = auth.message;
    events$ = events$.pipe(
      authenticate<TToken>({
        token: token as TokenSource<TToken>,
        message: (value) => build(value, { lastId: tracker?.lastId }),
        ack: resume?.fromAck !== undefined ? recordingAck(auth.ack, live) : auth.ack,
        reject: auth.reject,
        rejectReason: auth.rejectReason,
        timeout: auth.timeout,
        expiresAt: auth.expiresAt,
        scheduler,
      }),
    );
  }
  if (heartbeatConfig) events$ = events$.pipe(heartbeat({ ...heartbeatConfig, scheduler }));
  if (auth && (auth.expired !== undefined || auth.refreshBefore !== undefined)) {
    events$ = events$.pipe(
      reauthOnExpiry({ expired: auth.expired ?? never, refreshBefore: auth.refreshBefore, timeout: auth.reauthTimeout, scheduler }),
    );
  }
  if (retry) events$ = events$.pipe(retryWithBackoff({ ...retry, scheduler }));
  if (retry && reconnectNow) events$ = events$.pipe(reconnectNowOn(reconnectNow), repeat());
  if (drain !== undefined) events$ = events$.pipe(reconnectOnDrain(drain), repeat());

  // ---- the session's own layer: state, queue, protocol frames ---------------------------------
  const drive = driveSession({
    live,
    state,
    queue,
    writer,
    tracker,
    inbound,
    retryAfter,
    sendAck,
    isClosed: () => closed,
  });

  /** Ends the session: `close()` (no failure) or a fatal error (its `{ error }`). */
  const end = (failed?: { error: unknown }) => {
    if (closed) return;
    closed = true;
    failure = failed;
    queue.end(failed ? new SessionClosedError('error', failed.error) : new SessionClosedError('close'));
    if (!failed) {
      // A failure ends the hold with the shared stream; close() ends them both here. A teardown
      // that throws (an app's finalize, a socket whose close throws) must not stop close() half
      // way: it is reported as rxjs reports errors nobody handles, and the session still closes.
      try {
        releaseHold();
        ending?.complete();
      } catch (error) {
        throwError(() => error).subscribe();
      }
    }
    state.set(failed ? { type: 'closed', error: failed.error } : { type: 'closed' });
    unobserved?.clear();
    invalid$.complete();
    dropped$.complete();
  };

  const shared$ = events$.pipe(
    drive,
    messages(inbound, {
      invalid,
      onInvalid: (error) => {
        if (invalid$.observed) invalid$.next(error);
        else console.warn(`rxjs-socket-pipeline: ${error.message}`);
      },
    }),
    // Without resume every message passes: no filter layer (memory per session).
    tracker
      ? filter((message) => {
          if (!tracker.accept(message)) return false;
          if (subscribers > 0) return true;
          unobserved!.keep(message);
          return false;
        })
      : identity,
    (source: Observable<In>) =>
      new Observable<In>((subscriber) => {
        const layer = (ending = new SessionEnd(subscriber, end));
        source.subscribe(layer);
        return layer;
      }),
    (source: Observable<In>) => sharedWithGrace(source, grace, scheduler),
  );
  const messages$ = defer(() => {
    if (failure) return throwError(() => failure!.error);
    return closed ? EMPTY : (counted$ ?? shared$);
  });
  // App subscribers (a hold is not one), so that messages are kept while there are none. Only with
  // resume: without it nothing is kept, and subscribers go straight to shared$ (memory per session).
  const counted$ = unobserved
    ? new Observable<In>((subscriber) => {
        subscribers++;
        unobserved.handTo(subscriber);
        // A handler of a kept message may have closed the session: no socket for it.
        if (failure) subscriber.error(failure.error);
        else if (closed) subscriber.complete();
        const subscription = subscriber.closed ? undefined : shared$.subscribe(subscriber);
        return () => {
          subscribers--;
          subscription?.unsubscribe();
        };
      })
    : undefined;

  function holdOpen(): void {
    if (hold || closed) return;
    // Taken before subscribing: the subscribe emits state$ 'connecting', and a handler that sends
    // there must not open a second hold that nothing would release.
    const holding = new Subscription();
    hold = holding;
    holding.add(shared$.subscribe({ error: () => undefined }));
  }

  const send = (message: Out, options: SendOptions = {}): SendReceipt => {
    if (closed) return queue.enqueue(message, '', undefined); // refused with the reason it closed
    const { expireAfter: messageExpiry = expireAfter } = options;
    let frame: string;
    let key: string | undefined;
    try {
      checkDuration(messageExpiry, 'send', 'expireAfter', NEVER);
      checkOption(!outbound || outbound.is(message), 'send', 'the message does not match the outbound codec');
      const encoded = outbound ? outbound.encode(message) : message;
      frame = typeof encoded === 'string' ? encoded : serialize(encoded);
      key = sendAck?.keyOf(message);
    } catch (error) {
      return failedReceipt(error);
    }
    return queue.enqueue(message, frame, key, messageExpiry);
  };
  return new Session<In, Out>(messages$, state.state$, invalid$.asObservable(), dropped$.asObservable(), send, () => end(), state, queue);
}

const CELL = Symbol('state cell');
const QUEUE = Symbol('send queue');

/**
 * What `connect` returns. A class: V8 keeps an object literal with getters as a dictionary (about
 * 0.6 KB per session). Plain fields, not `#` ones: a `#` field throws when a getter runs through a
 * Proxy of the session (Vue's reactive()). `send` and `close` are own functions, so they work
 * detached (`button.onclick = session.close`), as they always did. `state` and `pending` are own
 * getters (shared functions, no closure per session) and the internals sit under symbols, so that
 * `{ ...session }`, `Object.keys` and property-descriptor copies see the public members only, as
 * with the object literal this replaces.
 */
class Session<In, Out> implements SocketSession<In, Out> {
  declare readonly state: SessionState;
  declare readonly pending: number;
  readonly [CELL]: StateCell;
  readonly [QUEUE]: SendQueue<Out>;

  constructor(
    readonly messages$: Observable<In>,
    readonly state$: Observable<SessionState>,
    readonly invalid$: Observable<DecodeError>,
    readonly dropped$: Observable<DroppedSend<Out>>,
    readonly send: (message: Out, options?: SendOptions) => SendReceipt,
    readonly close: () => void,
    cell: StateCell,
    queue: SendQueue<Out>,
  ) {
    this[CELL] = cell;
    this[QUEUE] = queue;
    Object.defineProperties(this, LIVE_MEMBERS);
  }
}

/** `state` and `pending` as own, enumerable, live getters of every session. */
const LIVE_MEMBERS: PropertyDescriptorMap = {
  state: {
    enumerable: true,
    get(this: Session<unknown, unknown>): SessionState {
      return this[CELL].value;
    },
  },
  pending: {
    enumerable: true,
    get(this: Session<unknown, unknown>): number {
      return this[QUEUE].pending;
    },
  },
};

/** `auth.ack`, also recording the frame it recognises for `resume.fromAck` (see `live.ackFrame`). */
function recordingAck(ack: FrameMatcher, live: LiveSocket): (value: unknown) => boolean {
  const isAck = typeof ack === 'function' ? ack : ack.is.bind(ack);
  return (value) => {
    const matched = isAck(value);
    if (matched) live.ackFrame = { value };
    return matched;
  };
}

/** The rule of both `expireAfter`s, built once: a send must not allocate it. */
const NEVER = { infinity: 'never' };

/**
 * The last layer before `share`: completes on `close()` (the notifier), and records a failure
 * before passing it on. One layer instead of `takeUntil` + `tap`, and a class, not closures:
 * memory per session (see bench/RESULTS.md).
 */
class SessionEnd<In> extends LayerSubscriber<In, In> {
  readonly #onError: (failed: { error: unknown }) => void;

  constructor(subscriber: Subscriber<In>, onError: (failed: { error: unknown }) => void) {
    super(subscriber);
    this.#onError = onError;
  }

  override error(error: unknown): void {
    if (!this.closed) this.#onError({ error });
    super.error(error);
  }

  protected override handle(value: In): void {
    this.subscriber.next(value);
  }
}

function validate(config: ConnectConfig<unknown, unknown, unknown, unknown>): void {
  check(typeof config === 'object' && config !== null, 'config must be an object');
  const {
    url,
    inbound,
    outbound,
    token,
    auth,
    grace,
    maxQueued,
    overflow,
    expireAfter,
    sendAck,
    rateLimit,
    retryAfter,
    resume,
    drain,
    maxPayload,
    reconnectNow,
  } = config;
  check(typeof url === 'string' || typeof url === 'function', 'url must be a string or a function returning one');
  check(isCodec(inbound), 'inbound must be an io-ts codec (with decode and is)');
  check(
    outbound === undefined || (isCodec(outbound) && typeof outbound.encode === 'function'),
    'outbound must be an io-ts codec (with is and encode)',
  );
  if (auth !== undefined) {
    check(typeof auth === 'object' && auth !== null, 'auth must be an object');
    check(typeof auth.message === 'function', 'auth.message must be a function building the auth frame from the token');
    assertMatcher(auth.ack, 'connect: auth.ack');
    if (auth.expired !== undefined) assertMatcher(auth.expired, 'connect: auth.expired');
    check(token !== undefined, 'token is required with auth');
  } else {
    check(token === undefined, 'token needs auth (how to send it): add an auth config, or remove token');
  }
  // Timers longer than the longest a runtime keeps fire at once: a long grace would close at once.
  if (grace !== undefined) checkDuration(grace, 'connect', 'grace', { zero: 'close at once', infinity: 'keep until close()' });
  check(
    maxQueued === undefined || (Number.isInteger(maxQueued) && maxQueued > 0) || maxQueued === Infinity,
    `maxQueued must be a positive integer (or Infinity), got ${String(maxQueued)}`,
  );
  check(
    overflow === undefined || overflow === 'reject' || overflow === 'drop-oldest',
    `overflow must be 'reject' or 'drop-oldest', got ${String(overflow)}`,
  );
  if (expireAfter !== undefined) checkDuration(expireAfter, 'connect', 'expireAfter', NEVER);
  if (sendAck !== undefined) {
    check(
      typeof sendAck?.keyOf === 'function' && typeof sendAck.ackedKey === 'function',
      'sendAck must be { keyOf, ackedKey } (two functions)',
    );
    check(
      sendAck.failed === undefined || typeof sendAck.failed === 'function',
      'sendAck.failed must be a function returning { key?, error } for a refusal, or undefined',
    );
  }
  if (rateLimit !== undefined) assertRateLimit(rateLimit);
  check(retryAfter === undefined || typeof retryAfter === 'function', 'retryAfter must be a function returning a delay in ms or undefined');
  if (resume !== undefined) {
    assertResume(resume);
    check(resume.fromAck === undefined || auth !== undefined, 'resume.fromAck needs auth (it reads the auth ack)');
  }
  if (maxPayload !== undefined) {
    check(Number.isSafeInteger(maxPayload) && maxPayload > 0, `maxPayload must be a positive integer (bytes), got ${String(maxPayload)}`);
    check(
      config.WebSocketCtor !== undefined,
      "maxPayload needs WebSocketCtor (WebSocket from 'ws'): browsers and Node's global WebSocket have no such option",
    );
  }
  if (drain !== undefined) assertMatcher(drain, 'connect: drain');
  check(reconnectNow === undefined || isObservable(reconnectNow), "reconnectNow must be an Observable (e.g. fromEvent(window, 'online'))");
}

/** Throws `TypeError("connect: <problem>")` unless `ok`. */
function check(ok: boolean, problem: string): asserts ok {
  checkOption(ok, 'connect', problem);
}

function isCodec(value: unknown): value is t.Type<unknown, unknown, unknown> {
  const codec = value as { decode?: unknown; is?: unknown } | null | undefined;
  return typeof codec?.decode === 'function' && typeof codec.is === 'function';
}
