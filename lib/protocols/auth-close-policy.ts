import { retryPolicy, type CloseCodeVerdict, type ShouldRetry } from '../close-codes.js';
import { AuthClosedError } from '../errors.js';
import type { FrameMatcher } from '../frame-matcher.js';
import type { RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';

/**
 * The reconnect options a preset passes through to the session (its own `shouldRetry` aside).
 *
 * @example
 * graphqlWs({ retry: { initialDelay: 500, maxDelay: 30_000, maxAttempts: 20 } });
 */
export type PresetRetryConfig = Omit<RetryWithBackoffConfig, 'scheduler' | 'shouldRetry'>;

/**
 * A close-code policy that gives up after a few silent auth closes in a row; see {@link authClosePolicy}.
 *
 * @example
 * const policy: AuthClosePolicy = authClosePolicy(CLOSE_CODES, 1);
 * const retry = { shouldRetry: policy.shouldRetry };
 */
export interface AuthClosePolicy {
  /** The session's `retry.shouldRetry`. */
  readonly shouldRetry: ShouldRetry;
  /** Wraps the ack matcher so that an ack resets the count of auth closes. */
  readonly countAcks: (ack: FrameMatcher) => FrameMatcher;
}

/**
 * A server that closes the socket right after the auth frame either refused the token (a fresh one
 * may pass) or the payload itself (it never will). So such a close is retried `authCloseRetries`
 * times in a row with a fresh token; the next one is final and the session ends with the
 * `AuthClosedError` and its diagnosis, instead of reconnecting forever. An ack resets the count.
 * Any other failure follows `table` as `retryPolicy` does. The count lives in the returned
 * object: build one policy per session.
 *
 * @example
 * // A hand-written config that gives up after 2 silent auth closes in a row.
 * const policy = authClosePolicy(CLOSE_CODES, 2);
 * const session = connect({
 *   url,
 *   inbound: Quote,
 *   token: getToken,
 *   auth: { message: (token) => ({ type: 'auth', token }), ack: policy.countAcks(AuthOk) },
 *   retry: { shouldRetry: policy.shouldRetry },
 * });
 */
export function authClosePolicy(table: Readonly<Record<number, CloseCodeVerdict>>, authCloseRetries: number): AuthClosePolicy {
  if (!(Number.isInteger(authCloseRetries) && authCloseRetries >= 0) && authCloseRetries !== Infinity) {
    throw new TypeError(`authCloseRetries must be an integer >= 0 (or Infinity), got ${String(authCloseRetries)}`);
  }
  const base = retryPolicy(table);
  let authCloses = 0;
  return {
    shouldRetry: (error) => {
      if (error instanceof AuthClosedError) {
        authCloses++;
        if (authCloses > authCloseRetries) return false;
      }
      return base(error);
    },
    countAcks: (ack) => {
      const isAck = typeof ack === 'function' ? ack : (value: unknown) => ack.is(value);
      return (value: unknown) => {
        const acked = isAck(value);
        if (acked) authCloses = 0;
        return acked;
      };
    },
  };
}
