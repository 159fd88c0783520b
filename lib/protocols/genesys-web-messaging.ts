import * as t from 'io-ts';
import { CLOSE_CODES, type CloseCodeVerdict } from '../close-codes.js';
import type { HeartbeatConfig } from '../operators/heartbeat.js';
import type { RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';
import type { SendAckConfig, SessionAuthConfig } from '../session/connect.js';
import type { RateLimit } from '../session/rate-limit.js';
import { authClosePolicy, type PresetRetryConfig } from './auth-close-policy.js';
import { SendRejectedError } from '../session/send-rejected-error.js';
import { GenesysConnectionClosedError, GenesysSessionExpiredError } from './errors.js';
import type { FramePattern } from './frame-pattern.js';

// ---- frames -----------------------------------------------------------------------------------

/**
 * `customMessageId` of the keepalive echo, so its answer is told apart from a real message.
 *
 * @example
 * const isKeepalive = (frame: GenesysStructuredMessage) => frame.body.metadata?.customMessageId === GENESYS_HEALTH_CHECK_ID;
 */
export const GENESYS_HEALTH_CHECK_ID = 'rxjs-socket-pipeline-health-check';

/**
 * A text or structured message: the guest's own (echoed, `direction: 'Inbound'`) or the agent's (`'Outbound'`).
 *
 * @example
 * session.messages$.subscribe((frame) => {
 *   if (GenesysStructuredMessage.is(frame) && frame.body.direction === 'Outbound') showAgentText(frame.body.text);
 * });
 */
export const GenesysStructuredMessage = t.type({
  type: t.string,
  class: t.literal('StructuredMessage'),
  code: t.number,
  body: t.intersection([
    t.type({ direction: t.string }),
    t.partial({
      id: t.string,
      type: t.string,
      text: t.string,
      metadata: t.record(t.string, t.unknown),
      channel: t.unknown,
      content: t.unknown,
    }),
  ]),
});
export type GenesysStructuredMessage = t.TypeOf<typeof GenesysStructuredMessage>;

/**
 * An error answer: `class: 'string'`, a code (400, 401, 403, 4006, 4007, 4011...) and a text body.
 *
 * @example
 * session.messages$.subscribe((frame) => {
 *   if (GenesysErrorResponse.is(frame)) console.warn(frame.code, frame.body);
 *   // 4011 Message exceeds maximum length
 * });
 */
export const GenesysErrorResponse = t.type({
  type: t.literal('response'),
  class: t.literal('string'),
  code: t.number,
  body: t.string,
});
export type GenesysErrorResponse = t.TypeOf<typeof GenesysErrorResponse>;

/**
 * Any other frame of the protocol (`SessionResponse`, typing and presence events...).
 *
 * @example
 * session.messages$.subscribe((frame) => {
 *   if (!GenesysStructuredMessage.is(frame) && GenesysEvent.is(frame)) console.log(frame.class);
 *   // TypingEvent
 * });
 */
export const GenesysEvent = t.intersection([t.type({ type: t.string, class: t.string, code: t.number }), t.partial({ body: t.unknown })]);
export type GenesysEvent = t.TypeOf<typeof GenesysEvent>;

/**
 * Every frame that reaches `messages$` (the ack, pongs, 429s and final events are consumed).
 *
 * @example
 * const frame: GenesysInbound = await firstValueFrom(session.messages$);
 */
export const GenesysInbound = t.union([GenesysStructuredMessage, GenesysErrorResponse, GenesysEvent]);
export type GenesysInbound = t.TypeOf<typeof GenesysInbound>;

/**
 * What the app sends: a text, and optionally its own `customMessageId` (one is generated otherwise).
 *
 * @example
 * await session.send({ text: 'Hello' });
 * await session.send({ text: 'My order number is 1234', id: 'order-question-1' }); // your own id
 */
export interface GenesysText {
  readonly text: string;
  readonly id?: string;
}

/**
 * The wire form of a {@link GenesysText}, built by the preset's `outbound` codec.
 *
 * @example
 * const frame: GenesysOnMessage = preset.outbound.encode({ text: 'Hello', id: 'm-1' });
 * // { action: 'onMessage', token: '<session token>', message: { type: 'Text', text: 'Hello', metadata: { customMessageId: 'm-1' } } }
 */
export interface GenesysOnMessage {
  readonly action: 'onMessage';
  readonly token: string;
  readonly message: { readonly type: 'Text'; readonly text: string; readonly metadata: { readonly customMessageId: string } };
}

// ---- preset -----------------------------------------------------------------------------------

/**
 * Options of {@link genesysWebMessaging}.
 *
 * @example
 * const options: GenesysWebMessagingOptions = { region: 'mypurecloud.ie', deploymentId, token: storedOrNewUuid(), rateLimit: false };
 * connect({ WebSocketCtor: WebSocket, ...genesysWebMessaging(options) });
 */
export interface GenesysWebMessagingOptions {
  /**
   * The Genesys Cloud region's domain, e.g. 'mypurecloud.com', 'mypurecloud.ie', 'usw2.pure.cloud'.
   * Required unless `url` is given.
   */
  region?: string;
  /** The Messenger deployment id. */
  deploymentId: string;
  /**
   * The guest session token: a uuid the client generates once and keeps (local storage) to find
   * the conversation again. Treated as a secret: it is never logged or put in an error message.
   */
  token: string;
  /**
   * The endpoint, for a proxy or a test gateway.
   * @default `wss://webmessaging.${region}/v1?deploymentId=${deploymentId}`
   */
  url?: string;
  /**
   * Extra fields of `configureSession` (e.g. `journeyContext`).
   * @default {}
   */
  configureSession?: FramePattern;
  /**
   * Milliseconds `SessionResponse` may take.
   * @default 10000
   */
  configureTimeout?: number;
  /**
   * Milliseconds between keepalive echoes once configured; 0 for none. Genesys allows one per 30 s,
   * measured where the echoes arrive: the default keeps a second's margin for network jitter.
   * @default 31000
   */
  pingInterval?: number;
  /**
   * Milliseconds an echo may wait for any frame before the connection counts as dead.
   * @default 10000
   */
  pongTimeout?: number;
  /**
   * Accept a `pingInterval` under 30 s (tests against a local gateway only).
   * @default false
   */
  allowFastPing?: boolean;
  /**
   * Outbound rate limit; Genesys allows 2 messages per second per session.
   * @default { messages: 2, perMs: 1000 }
   */
  rateLimit?: RateLimit | false;
  /**
   * Close-code verdicts.
   * @default CLOSE_CODES
   */
  closeCodes?: Readonly<Record<number, CloseCodeVerdict>>;
  /**
   * Backoff options passed to the session's `retry`.
   * @default {}
   */
  retry?: PresetRetryConfig;
}

/**
 * What {@link genesysWebMessaging} returns: spread it into `connect()`'s config.
 *
 * @example
 * const preset: GenesysWebMessagingPreset = genesysWebMessaging({ region: 'mypurecloud.com', deploymentId, token });
 * const session = connect({ WebSocketCtor: WebSocket, ...preset, maxQueued: 50 });
 */
export interface GenesysWebMessagingPreset {
  /** The Web Messaging endpoint for the region and deployment (or the `url` option as given). */
  readonly url: string;
  /** Codec of every inbound frame the guest can receive (messages, events, errors). */
  readonly inbound: typeof GenesysInbound;
  /** Turns `{ text }` into an `onMessage` frame carrying the session token and a `customMessageId`. */
  readonly outbound: t.Type<GenesysText, GenesysOnMessage, unknown>;
  /** The session token (a uuid); the same one on every reconnect, so the conversation continues. */
  readonly token: string;
  /** `configureSession` out, `SessionResponse` 200 as the ack, a `class: 'string'` error as the refusal. */
  readonly auth: SessionAuthConfig<string, unknown>;
  /** The keepalive `echo` (at most one every 30 s), or `false` when `pingInterval` is 0. */
  readonly heartbeat: Omit<HeartbeatConfig, 'scheduler'> | false;
  /** Reconnect policy: the `closeCodes` verdicts (an auth close is retried once) and the `retry` option's backoff. */
  readonly retry: Omit<RetryWithBackoffConfig, 'scheduler'>;
  /** The outbound pace Genesys allows (2 messages per second), or `undefined` when turned off. */
  readonly rateLimit: RateLimit | undefined;
  /**
   * Reads a `TooManyRequestsErrorMessage` as the wait in ms. It also throws the typed error that
   * ends the session on `SessionExpiredEvent` and `ConnectionClosedEvent`.
   */
  readonly retryAfter: (frame: unknown) => number | undefined;
  /**
   * Acks by echo: a sent message is acknowledged when its `customMessageId` comes back. A 4011
   * (message too long) refuses the oldest unacknowledged message for good: its receipt rejects
   * with `SendRejectedError` and it is never re-sent.
   */
  readonly sendAck: SendAckConfig<GenesysText>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_PING_INTERVAL = 30_000;
// Echoes leave the client pingInterval apart but reach Genesys with the network's jitter: at exactly
// 30 s, a slowed first echo makes the next one early, and its 429 would re-send an app message.
const DEFAULT_PING_INTERVAL = 31_000;

/** What each error code means for the user, in the reject diagnosis. */
const ERROR_HINTS: Readonly<Record<number, string>> = {
  400: 'bad request: check the configureSession fields',
  401: 'unauthorized',
  403: 'forbidden: check the deploymentId, that the deployment is active and allows this origin',
  4006: 'session expired: start a new session with a new session token (uuid)',
  4007: 'session not found: start a new session with a new session token (uuid)',
  4011: 'message too long',
};

/** Error codes that answer one `onMessage`, not the session: sending it again would fail again. */
const MESSAGE_REFUSALS: ReadonlySet<number> = new Set([4011]);

/**
 * Preset for Genesys Cloud Web Messaging guest sessions: `configureSession` as the auth frame
 * (acknowledged by `SessionResponse` 200, refused by a `class: 'string'` error), a keepalive
 * `echo` no more than every 30 s, `onMessage` frames built from `{ text }` with the session
 * token and a `customMessageId` (its echo acknowledges the send), 2 messages per second, and
 * `TooManyRequestsErrorMessage` honoured by pausing the queue for `retryAfter` and re-sending
 * the refused message. `SessionExpiredEvent` and `ConnectionClosedEvent` end the session (typed
 * errors); any other loss reconnects with the same token. Call it once per session.
 *
 * @example
 * const session = connect({
 *   WebSocketCtor: WebSocket,
 *   ...genesysWebMessaging({ region: 'mypurecloud.com', deploymentId, token: storedOrNewUuid() }),
 * });
 * session.messages$.subscribe((frame) => GenesysStructuredMessage.is(frame) && console.log(frame.body.text));
 * await session.send({ text: 'Hello' });
 * // Hello (our own message, echoed)
 * // Hi, how can I help? (the agent)
 * @see GenesysSessionExpiredError, GenesysConnectionClosedError
 */
export function genesysWebMessaging(options: GenesysWebMessagingOptions): GenesysWebMessagingPreset {
  const {
    region,
    deploymentId,
    token,
    url,
    configureSession = {},
    configureTimeout = 10_000,
    pingInterval = DEFAULT_PING_INTERVAL,
    pongTimeout = 10_000,
    allowFastPing = false,
    rateLimit = { messages: 2, perMs: 1000 },
    closeCodes = CLOSE_CODES,
    retry = {},
  } = options ?? ({} as GenesysWebMessagingOptions);
  const fail = (message: string): never => {
    throw new TypeError(`genesysWebMessaging: ${message}`);
  };
  if (typeof deploymentId !== 'string' || deploymentId === '') fail('deploymentId is required');
  if (typeof token !== 'string' || !UUID.test(token))
    fail('token must be a session uuid (generate one with crypto.randomUUID() and keep it)');
  if (url === undefined && (typeof region !== 'string' || region === ''))
    fail("region is required (e.g. 'mypurecloud.com') unless url is given");
  if (!(pingInterval >= 0)) fail(`pingInterval must be a number >= 0, got ${String(pingInterval)}`);
  if (pingInterval > 0 && pingInterval < MIN_PING_INTERVAL && !allowFastPing) {
    fail(`pingInterval must be at least ${MIN_PING_INTERVAL} ms (Genesys allows one echo per 30 s), got ${pingInterval}`);
  }
  const policy = authClosePolicy(closeCodes, 1);
  const ids = new WeakMap<object, string>();
  let lastId = 0;
  const idOf = (message: GenesysText): string => {
    if (message.id !== undefined) return message.id;
    let id = ids.get(message);
    if (id === undefined) {
      id = `m-${Date.now().toString(36)}-${++lastId}`;
      ids.set(message, id);
    }
    return id;
  };

  return {
    url: url ?? `wss://webmessaging.${region}/v1?deploymentId=${encodeURIComponent(deploymentId)}`,
    inbound: GenesysInbound,
    outbound: new t.Type<GenesysText, GenesysOnMessage, unknown>(
      'GenesysText',
      isGenesysText,
      (input, context) => (isGenesysText(input) ? t.success(input) : t.failure(input, context)),
      (message) => ({
        action: 'onMessage',
        token,
        message: { type: 'Text', text: message.text, metadata: { customMessageId: idOf(message) } },
      }),
    ),
    token,
    auth: {
      message: (value) => ({ ...configureSession, action: 'configureSession', deploymentId, token: value }),
      ack: policy.countAcks((frame) => isClass(frame, 'SessionResponse') && codeOf(frame) === 200),
      reject: (frame) => GenesysErrorResponse.is(frame) && frame.code >= 400,
      rejectReason: (frame) => {
        const { code, body } = frame as GenesysErrorResponse;
        return `${code} ${ERROR_HINTS[code] ?? 'error'} (server said: ${body.slice(0, 120)})`;
      },
      timeout: configureTimeout,
      expiresAt: () => undefined,
    },
    heartbeat:
      pingInterval > 0
        ? {
            interval: pingInterval,
            timeout: pongTimeout,
            ping: () => ({
              action: 'echo',
              token,
              message: { type: 'Text', text: 'ping', metadata: { customMessageId: GENESYS_HEALTH_CHECK_ID } },
            }),
            pong: (frame) => GenesysStructuredMessage.is(frame) && frame.body.metadata?.customMessageId === GENESYS_HEALTH_CHECK_ID,
            // Any answer proves the socket alive (a 429 may answer an echo instead of its pong).
            expect: 'any-frame',
          }
        : false,
    retry: { ...retry, shouldRetry: policy.shouldRetry },
    rateLimit: rateLimit === false ? undefined : rateLimit,
    // The session calls this on every inbound frame: it also turns the two final events into the
    // typed error that ends the session (a reconnect would be refused or unwanted).
    retryAfter: (frame) => {
      if (isClass(frame, 'SessionExpiredEvent')) throw new GenesysSessionExpiredError();
      if (isClass(frame, 'ConnectionClosedEvent')) throw new GenesysConnectionClosedError(reasonOf(frame));
      if (isClass(frame, 'TooManyRequestsErrorMessage') && codeOf(frame) === 429) return retryAfterMs(frame);
      return undefined;
    },
    sendAck: {
      keyOf: idOf,
      ackedKey: (frame) => {
        if (!GenesysStructuredMessage.is(frame) || frame.body.direction !== 'Inbound') return undefined;
        const id = frame.body.metadata?.customMessageId;
        return typeof id === 'string' && id !== GENESYS_HEALTH_CHECK_ID ? id : undefined;
      },
      // The error names no message: it answers the oldest one awaiting its echo (answers come in order).
      failed: (frame) =>
        GenesysErrorResponse.is(frame) && MESSAGE_REFUSALS.has(frame.code)
          ? {
              error: new SendRejectedError(
                `${ERROR_HINTS[frame.code] ?? 'refused'} (server said: ${frame.body.slice(0, 120)})`,
                frame.code,
              ),
            }
          : undefined,
    },
  };
}

function isGenesysText(value: unknown): value is GenesysText {
  const message = value as Partial<GenesysText> | null;
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof message.text === 'string' &&
    (message.id === undefined || typeof message.id === 'string')
  );
}

function isClass(frame: unknown, name: string): boolean {
  return typeof frame === 'object' && frame !== null && (frame as { class?: unknown }).class === name;
}

function codeOf(frame: unknown): unknown {
  return (frame as { code?: unknown }).code;
}

function reasonOf(frame: unknown): string {
  const reason = ((frame as { body?: { reason?: unknown } }).body ?? {}).reason;
  return typeof reason === 'string' ? reason : '';
}

/** `body.retryAfter` is in seconds; a missing or odd value waits one second. */
function retryAfterMs(frame: unknown): number {
  const seconds = ((frame as { body?: { retryAfter?: unknown } }).body ?? {}).retryAfter;
  return typeof seconds === 'number' && seconds >= 0 && Number.isFinite(seconds) ? seconds * 1000 : 1000;
}
