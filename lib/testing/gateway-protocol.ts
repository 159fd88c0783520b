import * as t from 'io-ts';

/**
 * Frames of the reference gateway's protocol, as io-ts codecs. Each codec and its type share one
 * name, and every frame is tagged by a literal `type`, so a union decodes to a discriminated union.
 * Browser-safe on purpose (no Node imports): apps and demos decode the gateway's frames with it.
 */

// ---------------------------------------------------------------------------------------------
// Client -> server
// ---------------------------------------------------------------------------------------------

/** First frame of a connection, and a refresh or re-auth later on the same socket. */
export const AuthRequest = t.intersection([
  t.type({ type: t.literal('auth'), token: t.string }),
  t.partial({
    /** Replay every stored message with an id greater than this one after `auth_ok`. */
    resumeFrom: t.number,
  }),
]);
export type AuthRequest = t.TypeOf<typeof AuthRequest>;

/** Application-level ping; answered by {@link Pong} with the same `id`. */
export const PingRequest = t.intersection([t.type({ type: t.literal('ping') }), t.partial({ id: t.string })]);
export type PingRequest = t.TypeOf<typeof PingRequest>;

/** Publishes `text`; `clientId` is the client's idempotency key, de-duplicated per subject. */
export const SendRequest = t.type({ type: t.literal('send'), clientId: t.string, text: t.string });
export type SendRequest = t.TypeOf<typeof SendRequest>;

/** Any frame a client may send. */
export const ClientFrame = t.union([AuthRequest, PingRequest, SendRequest]);
export type ClientFrame = t.TypeOf<typeof ClientFrame>;

// ---------------------------------------------------------------------------------------------
// Server -> client
// ---------------------------------------------------------------------------------------------

/** A chat message: published by a client's `send` or by the gateway, and replayed on resume. */
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

/** Successful auth or re-auth. */
export const AuthOk = t.type({
  type: t.literal('auth_ok'),
  sessionId: t.string,
  /** Epoch ms at which the token used expires. */
  expiresAt: t.number,
});
export type AuthOk = t.TypeOf<typeof AuthOk>;

/** Why an auth was refused; sent only with the gateway's `explicitErrors` option. */
export const AuthErrorReason = t.union([
  t.literal('invalid schema'),
  t.literal('invalid token'),
  t.literal('missing scope'),
]);
export type AuthErrorReason = t.TypeOf<typeof AuthErrorReason>;

/** Refused auth, followed by a close (4400, 4401 or 4403); only with `explicitErrors`. */
export const AuthError = t.type({ type: t.literal('auth_error'), reason: AuthErrorReason });
export type AuthError = t.TypeOf<typeof AuthError>;

/** The session's token expired: re-auth on the same socket within the grace period. */
export const AuthExpired = t.type({ type: t.literal('auth_expired') });
export type AuthExpired = t.TypeOf<typeof AuthExpired>;

/** Answer to a {@link PingRequest}, echoing its `id` when it had one. */
export const Pong = t.intersection([t.type({ type: t.literal('pong') }), t.partial({ id: t.string })]);
export type Pong = t.TypeOf<typeof Pong>;

/** Answer to a {@link SendRequest}: the id the message got (the same id again for a duplicate). */
export const Accepted = t.type({ type: t.literal('accepted'), clientId: t.string, id: t.number });
export type Accepted = t.TypeOf<typeof Accepted>;

/** Periodic liveness frame, when the gateway's `serverHeartbeatMs` is on. */
export const ServerHeartbeat = t.type({ type: t.literal('heartbeat') });
export type ServerHeartbeat = t.TypeOf<typeof ServerHeartbeat>;

/** The gateway will close this session with 1012 in `closeInMs`: reconnect elsewhere or later. */
export const Draining = t.type({ type: t.literal('draining'), closeInMs: t.number });
export type Draining = t.TypeOf<typeof Draining>;

/** Any frame the gateway sends (malformed fault injections aside). */
export const ServerFrame = t.union([
  ChatMessage,
  AuthOk,
  AuthError,
  AuthExpired,
  Pong,
  Accepted,
  ServerHeartbeat,
  Draining,
]);
export type ServerFrame = t.TypeOf<typeof ServerFrame>;
