import { CLOSE_CODES, type CloseCodeVerdict } from '../close-codes.js';
import type { HeartbeatConfig } from '../operators/heartbeat.js';
import type { RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';
import type { SessionAuthConfig } from '../session/connect.js';
import type { TokenSource } from '../token-source.js';
import { authClosePolicy, type PresetRetryConfig } from './auth-close-policy.js';
import { toFrameMatcher, type FramePattern, type FrameSpec } from './frame-pattern.js';

/**
 * Options of {@link genericJson}: a JSON protocol with an auth frame, an ack and optional ping/pong.
 *
 * @example
 * const options: GenericJsonOptions = { token: () => auth.getToken(), ack: { type: 'auth_ok' }, pingInterval: 15_000 };
 * connect({ url, inbound: Quote, ...genericJson(options) });
 */
export interface GenericJsonOptions<TToken = string> {
  /** The token, or a provider called afresh on every (re)connect and re-auth. */
  token: TokenSource<TToken>;
  /**
   * The fixed fields of the auth frame; the token is added under `tokenField`.
   * @default { type: 'auth' }
   */
  authFrame?: FramePattern;
  /**
   * Field of the auth frame that carries the token.
   * @default 'token'
   */
  tokenField?: string;
  /**
   * Field of the auth frame that carries the id of the last message received (with the session's
   * `resume`), for servers that replay from it. Left out on the first connect.
   * @default undefined (never sent)
   */
  resumeField?: string;
  /**
   * Recognises the auth ack.
   * @default { type: 'auth_ok' }
   */
  ack?: FrameSpec;
  /**
   * Recognises an explicit refusal (the session ends with `AuthRejectedError`); `false` when the
   * server refuses by closing the socket.
   * @default { type: 'auth_error' }
   */
  reject?: FrameSpec | false;
  /**
   * The reason shown for a refusal frame.
   * @default the first of `reason`, `message`, `error`, `code`, `status`
   */
  rejectReason?: (frame: unknown) => string;
  /**
   * Recognises the server's "token expired" notice: the session re-authenticates on the same
   * socket with a fresh token. `false` when the server announces nothing (an expiry close reconnects).
   * @default { type: 'auth_expired' }
   */
  expired?: FrameSpec | false;
  /**
   * Milliseconds the ack may take.
   * @default 10000
   */
  authTimeout?: number;
  /**
   * Re-authenticate this many ms before the token expires (JWT `exp`).
   * @default undefined
   */
  refreshBefore?: number;
  /**
   * The ping frame (a fixed object, or a function building one); `false` for no client pings.
   * @default { type: 'ping' }
   */
  ping?: FramePattern | (() => unknown) | false;
  /**
   * Recognises the pong (consumed).
   * @default { type: 'pong' }
   */
  pong?: FrameSpec;
  /**
   * Milliseconds between pings once ready.
   * @default 25000
   */
  pingInterval?: number;
  /**
   * Milliseconds a ping may wait for its pong before the connection counts as dead.
   * @default 10000
   */
  pongTimeout?: number;
  /**
   * Close-code verdicts.
   * @default CLOSE_CODES
   */
  closeCodes?: Readonly<Record<number, CloseCodeVerdict>>;
  /**
   * Silent closes right after the auth frame retried in a row (each with a fresh token) before
   * the session gives up with the `AuthClosedError`: a wrong schema never passes.
   * @default 1
   */
  authCloseRetries?: number;
  /**
   * Backoff options passed to the session's `retry`.
   * @default {} (the operator's defaults)
   */
  retry?: PresetRetryConfig;
}

/**
 * What {@link genericJson} returns: spread it into `connect()`'s config.
 *
 * @example
 * const preset: GenericJsonPreset = genericJson({ token: getToken });
 * connect({ url, inbound: Quote, ...preset, heartbeat: false }); // override a field after the spread
 */
export interface GenericJsonPreset<TToken = string> {
  /** The `token` option, passed through. */
  readonly token: TokenSource<TToken>;
  /** The auth frame, its ack, refusal and expiry notice, built from the patterns. */
  readonly auth: SessionAuthConfig<TToken, unknown>;
  /** Ping/pong from the patterns, or `false` when `ping` is `false`. */
  readonly heartbeat: Omit<HeartbeatConfig, 'scheduler'> | false;
  /** Reconnect policy: the `closeCodes` verdicts, `authCloseRetries`, and the `retry` option's backoff. */
  readonly retry: Omit<RetryWithBackoffConfig, 'scheduler'>;
}

/**
 * Preset for the common hand-rolled JSON protocol: `{type:'auth', token}` answered by an ack,
 * an optional refusal frame, an expiry notice that asks for a re-auth on the same socket, and
 * ping/pong. Every frame is configurable by example (a {@link FramePattern}). Call it once per
 * session (it counts auth closes).
 *
 * @example
 * const session = connect({
 *   url: 'wss://api.example.com/ws',
 *   inbound: Quote,
 *   ...genericJson({
 *     token: () => auth.getToken(),
 *     authFrame: { action: 'auth' },
 *     ack: { action: 'auth', status: 'success' },
 *     expired: { action: 'auth', status: 'expired' },
 *     reject: false,
 *     ping: { action: 'ping' },
 *     pong: { action: 'pong' },
 *   }),
 * });
 * session.state$.subscribe((state) => console.log(state.type));
 * // idle, connecting, authenticating, ready
 * @see connect, FramePattern
 */
export function genericJson<TToken = string>(options: GenericJsonOptions<TToken>): GenericJsonPreset<TToken> {
  const {
    token,
    authFrame = { type: 'auth' },
    tokenField = 'token',
    resumeField,
    ack = { type: 'auth_ok' },
    reject = { type: 'auth_error' },
    rejectReason,
    expired = { type: 'auth_expired' },
    authTimeout = 10_000,
    refreshBefore,
    ping = { type: 'ping' },
    pong = { type: 'pong' },
    pingInterval = 25_000,
    pongTimeout = 10_000,
    closeCodes = CLOSE_CODES,
    authCloseRetries = 1,
    retry = {},
  } = options ?? ({} as GenericJsonOptions<TToken>);
  if (token === undefined) throw new TypeError('genericJson: token is required');
  if (typeof authFrame !== 'object' || authFrame === null) throw new TypeError('genericJson: authFrame must be a plain object');
  if (typeof tokenField !== 'string' || tokenField === '') throw new TypeError('genericJson: tokenField must be a non-empty string');
  const policy = authClosePolicy(closeCodes, authCloseRetries);
  const buildPing = ping === false ? undefined : typeof ping === 'function' ? ping : () => ({ ...ping });

  return {
    token,
    auth: {
      message: (value, { lastId }) => ({
        ...authFrame,
        [tokenField]: value,
        ...(resumeField !== undefined && lastId !== undefined ? { [resumeField]: lastId } : {}),
      }),
      ack: policy.countAcks(toFrameMatcher(ack, 'genericJson: ack')),
      reject: reject === false ? undefined : toFrameMatcher(reject, 'genericJson: reject'),
      rejectReason,
      timeout: authTimeout,
      expired: expired === false ? undefined : toFrameMatcher(expired, 'genericJson: expired'),
      refreshBefore,
    },
    heartbeat: buildPing
      ? { interval: pingInterval, timeout: pongTimeout, ping: buildPing, pong: toFrameMatcher(pong, 'genericJson: pong') }
      : false,
    retry: { ...retry, shouldRetry: policy.shouldRetry },
  };
}
