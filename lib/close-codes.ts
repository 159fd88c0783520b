import { AuthTimeoutError, ConnectionClosedError, ConnectTimeoutError, HeartbeatTimeoutError, TokenProviderError } from './errors.js';

/**
 * Whether a reconnect can help after a close with this code.
 *
 * @example
 * const table: Record<number, CloseCodeVerdict> = { ...CLOSE_CODES, 4429: 'fatal' };
 */
export type CloseCodeVerdict = 'retry' | 'fatal';

/**
 * The one table that decides, per close code, whether `retryWithBackoff` reconnects. Codes not in
 * the table: 4000-4999 (application codes) are retried unless listed, everything else is retried.
 * Override a code by spreading: `shouldRetry: retryPolicy({ ...CLOSE_CODES, 4429: 'retry' })`.
 *
 * @example
 * CLOSE_CODES[1006]; // 'retry' (the network dropped)
 * CLOSE_CODES[4401]; // 'fatal' (the credentials are not accepted)
 * // A server that closes with 1008 for a passing overload: make it retryable.
 * connect({ url, inbound: Quote, retry: { shouldRetry: retryPolicy({ ...CLOSE_CODES, 1008: 'retry' }) } });
 */
export const CLOSE_CODES: Readonly<Record<number, CloseCodeVerdict>> = {
  // Normal closure: servers close idle or drained sockets with it, and strict gateways answer a
  // bad auth with it; the token is fetched afresh on reconnect, so trying again is right.
  1000: 'retry',
  // Going away: server restart or page navigation on the server side.
  1001: 'retry',
  // Protocol error: our frames broke the protocol; the same client will break it again.
  1002: 'fatal',
  // Unsupported data: the server cannot take what we send; retrying sends it again.
  1003: 'fatal',
  // No status received: the close frame had no code; usually a proxy or a crash.
  1005: 'retry',
  // Abnormal closure: the network dropped, the server crashed or never answered.
  1006: 'retry',
  // Invalid payload: a frame was not valid UTF-8 or JSON for the server; a bug, not a blip.
  1007: 'fatal',
  // Policy violation: the server refuses this client (often auth or origin); retrying is hammering.
  1008: 'fatal',
  // Message too big: we sent a frame over the server's limit; it will be too big again.
  1009: 'fatal',
  // Mandatory extension missing: the handshake cannot succeed with this client.
  1010: 'fatal',
  // Internal error: a server bug or overload that may pass.
  1011: 'retry',
  // Service restart: the server asks us to come back.
  1012: 'retry',
  // Try again later: overload, the server asks us to come back.
  1013: 'retry',
  // Bad gateway: a proxy could not reach the upstream; transient.
  1014: 'retry',
  // TLS handshake failed: certificates do not change by themselves.
  1015: 'fatal',
  // Bad request (graphql-ws and others): our frames are malformed.
  4400: 'fatal',
  // Unauthorized: the credentials are not accepted; a new token would come from a new login.
  4401: 'fatal',
  // Forbidden: the identity lacks the scope; a reconnect has the same identity.
  4403: 'fatal',
  // Auth/init timeout (graphql-ws 4408): we were too slow once; may be a slow token provider.
  4408: 'retry',
  // Subscriber already exists (graphql-ws 4409): a client bug.
  4409: 'fatal',
  // Too many requests: rate limited; back off and retry (graphql-ws makes this fatal, users complain).
  4429: 'retry',
  // Internal server error (graphql-ws 4500): may pass.
  4500: 'retry',
};

/**
 * Decides whether an error that ended the stream is worth a reconnect.
 *
 * @example
 * // Also give up on a silent close during auth, whatever its code.
 * const stopOnAuthClose: ShouldRetry = (error) => !(error instanceof AuthClosedError) && shouldRetry(error);
 * retryWithBackoff({ shouldRetry: stopOnAuthClose });
 */
export type ShouldRetry = (error: unknown) => boolean;

/**
 * Builds a `shouldRetry` from a close-code table. Closes (including silent closes during auth)
 * follow the table; connect, auth and heartbeat timeouts and token provider failures are
 * retried; everything else is fatal: an explicit auth reject (the server said no in words), a
 * fatal `DecodeError`, a missing WebSocket implementation, and any error thrown by user code,
 * since a bug does not go away by reconnecting.
 *
 * @example
 * retryWithBackoff({ shouldRetry: retryPolicy({ ...CLOSE_CODES, 1000: 'fatal' }) })
 */
export function retryPolicy(table: Readonly<Record<number, CloseCodeVerdict>> = CLOSE_CODES): ShouldRetry {
  return (error) => {
    if (error instanceof ConnectionClosedError) return table[error.closeCode] !== 'fatal';
    return (
      error instanceof ConnectTimeoutError ||
      error instanceof AuthTimeoutError ||
      error instanceof HeartbeatTimeoutError ||
      error instanceof TokenProviderError
    );
  };
}

/**
 * The default policy: {@link CLOSE_CODES} plus the rules of {@link retryPolicy}.
 *
 * @example
 * shouldRetry(new ConnectionClosedError(1006, '', false, 'ready', 5_000)); // true
 * shouldRetry(new AuthRejectedError('invalid token', 'authenticating')); // false
 */
export const shouldRetry: ShouldRetry = retryPolicy();
