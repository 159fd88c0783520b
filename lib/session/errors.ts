import { errorSummary } from '../clip-text.js';
import { SocketPipelineError } from '../errors.js';

/**
 * Failures of a session's send queue and life, one class per case a caller must tell apart. Like
 * the core errors they carry a fixed `name`, a stable `code` and a readonly payload, and never the
 * message being sent (it may hold personal data or a token).
 */

/**
 * `send` was refused because `maxQueued` messages are already waiting (overflow policy 'reject').
 *
 * @example
 * session.send(message).catch((error) => {
 *   if (error instanceof SendQueueFullError) showToast(`offline: ${error.maxQueued} messages waiting`);
 * });
 */
export class SendQueueFullError extends SocketPipelineError {
  override readonly name = 'SendQueueFullError';
  readonly code = 'SEND_QUEUE_FULL';
  constructor(/** The configured bound. */ readonly maxQueued: number) {
    super(
      `send refused: ${maxQueued} message(s) already queued (maxQueued): wait for state 'ready', raise maxQueued or use overflow 'drop-oldest'`,
    );
  }
}

/**
 * A waiting message was dropped to make room for a newer one (overflow policy 'drop-oldest').
 *
 * @example
 * session.dropped$.subscribe(({ message, error }) => {
 *   if (error instanceof SendDroppedError) markUnsent(message);
 * });
 */
export class SendDroppedError extends SocketPipelineError {
  override readonly name = 'SendDroppedError';
  readonly code = 'SEND_DROPPED';
  constructor(/** The configured bound. */ readonly maxQueued: number) {
    super(`a waiting message was dropped: more than ${maxQueued} message(s) queued (overflow 'drop-oldest')`);
  }
}

/**
 * A message waited longer than its expiry to be written (for a ready connection, the rate limit or
 * a server's retry-after pause) and was not sent.
 *
 * @example
 * await session.send(typing, { expireAfter: 2_000 }).catch((error) => {
 *   if (!(error instanceof SendExpiredError)) throw error; // a stale typing notice is not worth sending
 * });
 */
export class SendExpiredError extends SocketPipelineError {
  override readonly name = 'SendExpiredError';
  readonly code = 'SEND_EXPIRED';
  constructor(/** The expiry that elapsed, in ms. */ readonly expireAfter: number) {
    super(`a message expired unsent after ${expireAfter} ms waiting for a ready connection, the rate limit or a server's retry-after`);
  }
}

/**
 * The session ended (by `close()` or a fatal error) before the message was written or acknowledged.
 * After a fatal error, that error is the `cause`.
 *
 * @example
 * session.send(message).catch((error) => {
 *   if (error instanceof SessionClosedError && error.by === 'error') console.log(error.message);
 *   // the session failed before this message was delivered: AuthRejectedError: the server rejected ...
 * });
 */
export class SessionClosedError extends SocketPipelineError {
  override readonly name = 'SessionClosedError';
  readonly code = 'SESSION_CLOSED';
  constructor(
    /** 'close': `close()` was called; 'error': the session failed for good (see `cause`). */
    readonly by: 'close' | 'error',
    cause?: unknown,
  ) {
    super(
      by === 'close'
        ? 'the session was closed before this message was delivered'
        : `the session failed before this message was delivered: ${errorSummary(cause)}`,
      by === 'error' ? { cause } : undefined,
    );
  }
}

/**
 * The server announced that it will close this socket soon (a drain notice). Not a failure: it is
 * the `cause` of the `reconnecting` state of the proactive reconnect that follows.
 *
 * @example
 * session.state$.subscribe((state) => {
 *   if (state.type === 'reconnecting' && state.cause instanceof ServerDrainingError) console.log('moving to a fresh socket');
 * });
 */
export class ServerDrainingError extends SocketPipelineError {
  override readonly name = 'ServerDrainingError';
  readonly code = 'SERVER_DRAINING';
  constructor() {
    super('the server announced it will close this socket soon: reconnecting now');
  }
}
