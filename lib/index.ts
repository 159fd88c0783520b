/**
 * rxjs-socket-pipeline: a WebSocket as a typed, authenticated, self-healing RxJS stream.
 * This entry is browser-safe: no `ws`, no Node built-ins.
 */
export { fromWebSocket, type FromWebSocketConfig } from './from-web-socket.js';
export { waitForOpen, type WaitForOpenConfig } from './operators/wait-for-open.js';
export { authenticate, type AuthenticateConfig } from './operators/authenticate.js';
export { heartbeat, type HeartbeatConfig } from './operators/heartbeat.js';
export { reauthOnExpiry, type ReauthOnExpiryConfig } from './operators/reauth-on-expiry.js';
export { retryWithBackoff, type RetryInfo, type RetryWithBackoffConfig } from './operators/retry-with-backoff.js';
export { messages, type MessagesConfig } from './operators/messages.js';
export { CLOSE_CODES, retryPolicy, shouldRetry, type CloseCodeVerdict, type ShouldRetry } from './close-codes.js';
export { backoffDelay, MAX_TIMER_MS, type BackoffOptions, type Jitter } from './backoff.js';
export * from './errors.js';
export type * from './socket-event.js';
export { SocketConnection, type Serializer } from './socket-connection.js';
export { InboundFrame, NOT_JSON } from './inbound-frame.js';
export type { FrameMatcher } from './frame-matcher.js';
export { jwtExpiresAt, type TokenSource } from './token-source.js';
export { ReadyState, type WebSocketCtor, type WebSocketLike } from './web-socket-like.js';
export {
  connect,
  type ConnectConfig,
  type SendAckConfig,
  type SendFailure,
  type SendOptions,
  type SessionAuthConfig,
  type SocketSession,
} from './session/connect.js';
export * from './session/errors.js';
export { SendRejectedError } from './session/send-rejected-error.js';
export type { SessionState, SessionStateType } from './session/session-state.js';
export type { SendReceipt, SendStatus } from './session/send-receipt.js';
export type { DroppedSend, Overflow } from './session/send-queue.js';
export type { RateLimit } from './session/rate-limit.js';
export type { ResumeConfig, ResumeInfo } from './session/resume.js';
