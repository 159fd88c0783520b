import {
  AuthClosedError,
  AuthRejectedError,
  AuthTimeoutError,
  ConnectionClosedError,
  ConnectTimeoutError,
  HeartbeatTimeoutError,
  RetryExhaustedError,
} from '../errors.js';
import type { SessionStateType } from '../session/session-state.js';

/** What the probe knew when the connection ended, to explain it. */
export interface DiagnosisContext {
  /** The state the session was in when it failed. */
  readonly phase: SessionStateType;
  /** Whether an auth frame is configured (`--auth`). */
  readonly authenticates: boolean;
  /** Name of the environment variable the token came from (`--token-env`). */
  readonly tokenEnv: string | undefined;
  /** Inbound frames seen while waiting for the ack (they did not match `--ack`). */
  readonly framesBeforeAck: number;
  /** Subprotocols offered (`--subprotocol`). */
  readonly subprotocols: readonly string[];
}

/**
 * Explains in plain words why a probe failed: what happened (the error's own message, which
 * never holds a token), in which phase, and what to check next.
 *
 * @example
 * diagnose(new AuthTimeoutError(5000, 'authenticating'), context);
 * // 'while authenticating: no auth ack within 5000 ms of the socket opening (authenticating). Check: --ack, ...'
 */
export function diagnose(error: unknown, context: DiagnosisContext): string {
  const cause = error instanceof RetryExhaustedError ? error.cause : error;
  const message = error instanceof Error ? error.message : String(error);
  const check = advice(cause, context);
  // The probe's advice is more specific than the generic one the error ends with: print one.
  const what = check ? withoutOwnAdvice(message, cause) : message;
  return `while ${context.phase}: ${what}${check ? `. Check: ${check}` : ''}`;
}

/**
 * `message` without the `: check ...` clause that ends our own connect and auth-timeout errors
 * (also when a RetryExhaustedError quotes one). Only for those: in other errors a `: check` may be
 * part of a server's close reason.
 */
function withoutOwnAdvice(message: string, cause: unknown): string {
  const ownAdvice =
    cause instanceof ConnectTimeoutError ||
    cause instanceof AuthTimeoutError ||
    (cause instanceof ConnectionClosedError && !(cause instanceof AuthClosedError) && cause.msSinceOpen === undefined);
  if (!ownAdvice) return message;
  const own = cause.message;
  const at = own.lastIndexOf(': check ');
  if (at === -1 || !message.endsWith(own.slice(at))) return message;
  // A connect failure may end with what `ws` said, in parentheses after the advice: keep that.
  const said = own.indexOf(' (', at);
  return message.slice(0, message.length - own.length + at) + (said === -1 ? '' : own.slice(said));
}

function advice(error: unknown, context: DiagnosisContext): string {
  const token = context.tokenEnv ? `the token in $${context.tokenEnv} (valid, not expired, with the scopes the server wants)` : 'the token';
  if (error instanceof AuthClosedError) {
    return `the auth frame's shape and field names (--auth) against the server's documentation, and ${token}`;
  }
  if (error instanceof AuthRejectedError) return `${token}, and the reason the server gave`;
  if (error instanceof AuthTimeoutError) {
    return context.framesBeforeAck > 0
      ? `--ack: the server sent ${context.framesBeforeAck} frame(s) after the auth frame and none matched it (see the frames above)`
      : '--ack, and whether the server answers auth at all (it sent nothing after the auth frame)';
  }
  if (error instanceof HeartbeatTimeoutError) {
    return error.mode === 'pong'
      ? '--pong against what the server answers to --ping, and --timeout'
      : '--timeout against how often the server speaks';
  }
  if (error instanceof ConnectTimeoutError) return 'the URL, the network path (proxy, firewall) and that the server is up';
  if (error instanceof ConnectionClosedError && error.msSinceOpen === undefined) {
    const protocols = context.subprotocols.length > 0 ? `, and that it accepts the subprotocol ${context.subprotocols.join(', ')}` : '';
    return `the URL (ws:// or wss://, host, port, path) and that the server is up${protocols}`;
  }
  if (error instanceof ConnectionClosedError && context.phase === 'ready') {
    return "the server's idle timeout (--ping and --interval keep a connection alive) and its close code";
  }
  return '';
}
