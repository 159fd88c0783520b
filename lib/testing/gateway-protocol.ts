import * as t from 'io-ts';

/**
 * Frames of the reference gateway's protocol, as io-ts codecs. Each codec and its type share one
 * name, and every frame is tagged by a literal `type`, so a union decodes to a discriminated union.
 * Browser-safe on purpose (no Node imports): apps and demos decode the gateway's frames with it.
 */

// ---------------------------------------------------------------------------------------------
// Client -> server
// ---------------------------------------------------------------------------------------------

/**
 * First frame of a connection, and a refresh or re-auth later on the same socket.
 *
 * @example
 * authenticate({ token: getToken, message: (token): AuthRequest => ({ type: 'auth', token }), ack: AuthOk });
 */
export const AuthRequest = t.intersection([
  t.type({ type: t.literal('auth'), token: t.string }),
  t.partial({
    /** Replay every stored message with an id greater than this one after `auth_ok`. */
    resumeFrom: t.number,
  }),
]);
export type AuthRequest = t.TypeOf<typeof AuthRequest>;

/**
 * Application-level ping; answered by {@link Pong} with the same `id`.
 *
 * @example
 * heartbeat({ interval: 10_000, ping: (): PingRequest => ({ type: 'ping' }), pong: Pong });
 */
export const PingRequest = t.intersection([t.type({ type: t.literal('ping') }), t.partial({ id: t.string })]);
export type PingRequest = t.TypeOf<typeof PingRequest>;

/**
 * Publishes `text`; `clientId` is the client's idempotency key, de-duplicated per subject.
 *
 * @example
 * await session.send({ type: 'send', clientId: crypto.randomUUID(), text: 'hello' });
 */
export const SendRequest = t.type({ type: t.literal('send'), clientId: t.string, text: t.string });
export type SendRequest = t.TypeOf<typeof SendRequest>;

/**
 * Any frame a client may send.
 *
 * @example
 * ClientFrame.is({ type: 'send', clientId: 'c-1', text: 'hi' }); // true
 * ClientFrame.is({ type: 'subscribe' }); // false
 */
export const ClientFrame = t.union([AuthRequest, PingRequest, SendRequest]);
export type ClientFrame = t.TypeOf<typeof ClientFrame>;

// ---------------------------------------------------------------------------------------------
// Server -> client
// ---------------------------------------------------------------------------------------------

/**
 * A chat message: published by a client's `send` or by the gateway, and replayed on resume.
 *
 * @example
 * const session = connect({
 *   url: gateway.url,
 *   inbound: ChatMessage,
 *   outbound: SendRequest,
 *   token: () => gateway.issueToken(),
 *   auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
 * });
 * session.messages$.subscribe((message) => console.log(`#${message.id} ${message.from}: ${message.text}`));
 * // #1 alice: hello
 */
export const ChatMessage = t.type({
  type: t.literal('message'),
  /** Gateway-wide sequence number, starting at 1. */
  id: t.number,
  /** The sender's idempotency key (`publish-<id>` for messages the gateway publishes itself). */
  clientId: t.string,
  /** Subject of the sender's token, or the `from` given to `publish`. */
  from: t.string,
  text: t.string,
  /** Epoch ms at which the gateway accepted the message. */
  sentAt: t.number,
});
export type ChatMessage = t.TypeOf<typeof ChatMessage>;

/**
 * Successful auth or re-auth.
 *
 * @example
 * authenticate({ token: getToken, message: (token) => ({ type: 'auth', token }), ack: AuthOk });
 */
export const AuthOk = t.intersection([
  t.type({
    type: t.literal('auth_ok'),
    sessionId: t.string,
    /** Epoch ms at which the token used expires. */
    expiresAt: t.number,
  }),
  t.partial({
    /**
     * The server's position: id of the newest stored message (0 before the first one). A client
     * that has delivered nothing yet resumes from it after a drop (`resume.fromAck`). Optional, so
     * acks of older gateways still decode.
     */
    lastId: t.number,
  }),
]);
export type AuthOk = t.TypeOf<typeof AuthOk>;

/**
 * Why an auth was refused; sent only with the gateway's `explicitErrors` option.
 *
 * @example
 * const reason: AuthErrorReason = 'missing scope';
 */
export const AuthErrorReason = t.union([t.literal('invalid schema'), t.literal('invalid token'), t.literal('missing scope')]);
export type AuthErrorReason = t.TypeOf<typeof AuthErrorReason>;

/**
 * Refused auth, followed by a close (4400, 4401 or 4403); only with `explicitErrors`.
 *
 * @example
 * authenticate({ token: getToken, message: (token) => ({ type: 'auth', token }), ack: AuthOk, reject: AuthError });
 * // fails with AuthRejectedError: the server rejected the auth frame (authenticating): invalid token
 */
export const AuthError = t.type({ type: t.literal('auth_error'), reason: AuthErrorReason });
export type AuthError = t.TypeOf<typeof AuthError>;

/**
 * The session's token expired: re-auth on the same socket within the grace period.
 *
 * @example
 * reauthOnExpiry({ expired: AuthExpired });
 */
export const AuthExpired = t.type({ type: t.literal('auth_expired') });
export type AuthExpired = t.TypeOf<typeof AuthExpired>;

/**
 * Answer to a {@link PingRequest}, echoing its `id` when it had one.
 *
 * @example
 * heartbeat({ interval: 10_000, timeout: 5_000, ping: () => ({ type: 'ping' }), pong: Pong });
 */
export const Pong = t.intersection([t.type({ type: t.literal('pong') }), t.partial({ id: t.string })]);
export type Pong = t.TypeOf<typeof Pong>;

/**
 * Answer to a {@link SendRequest}: the id the message got (the same id again for a duplicate).
 *
 * @example
 * connect({
 *   url: gateway.url,
 *   inbound: ChatMessage,
 *   outbound: SendRequest,
 *   token: () => gateway.issueToken(),
 *   auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
 *   sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined) },
 * });
 */
export const Accepted = t.type({ type: t.literal('accepted'), clientId: t.string, id: t.number });
export type Accepted = t.TypeOf<typeof Accepted>;

/**
 * Periodic liveness frame, when the gateway's `serverHeartbeatMs` is on.
 *
 * @example
 * heartbeat({ interval: 0, maxSilence: 2 * heartbeatMs, serverPing: ServerHeartbeat });
 */
export const ServerHeartbeat = t.type({ type: t.literal('heartbeat') });
export type ServerHeartbeat = t.TypeOf<typeof ServerHeartbeat>;

/**
 * The gateway will close this session with 1012 in `closeInMs`: reconnect elsewhere or later.
 *
 * @example
 * connect({ ...chatConfig, drain: Draining }); // reconnects at once, before the gateway's 1012
 */
export const Draining = t.type({ type: t.literal('draining'), closeInMs: t.number });
export type Draining = t.TypeOf<typeof Draining>;

/**
 * Any frame the gateway sends (malformed fault injections aside).
 *
 * @example
 * // Every frame the gateway sends after the auth ack, typed.
 * const frames: ServerFrame[] = [];
 * fromWebSocket(gateway.url)
 *   .pipe(authenticate({ token: () => gateway.issueToken(), message: (token) => ({ type: 'auth', token }), ack: AuthOk }), messages(ServerFrame))
 *   .subscribe((frame) => frames.push(frame));
 */
export const ServerFrame = t.union([ChatMessage, AuthOk, AuthError, AuthExpired, Pong, Accepted, ServerHeartbeat, Draining]);
export type ServerFrame = t.TypeOf<typeof ServerFrame>;
