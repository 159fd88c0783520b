import { errorSummary } from './clip-text.js';

/**
 * Every failure a user must tell apart has its own class, a fixed `name`, a stable `code` and a
 * readonly payload. Check with `instanceof`. No message here ever contains a token.
 */

/**
 * The phase a connection was in when something happened.
 *
 * @example
 * if (error instanceof ConnectionClosedError && error.phase === 'authenticating') console.warn('closed during auth');
 */
export type ConnectionPhase = 'connecting' | 'authenticating' | 'ready' | 'reauthenticating';

/**
 * Common base: lets a catch-all handler recognise every error of this library.
 *
 * @example
 * session.state$.subscribe((state) => {
 *   if (state.type === 'closed' && state.error instanceof SocketPipelineError) {
 *     console.error(state.error.code, state.error.message);
 *     // AUTH_REJECTED the server rejected the auth frame (authenticating): invalid token
 *   }
 * });
 */
export abstract class SocketPipelineError extends Error {
  /** Stable machine-readable code, safe to switch on across versions. */
  abstract readonly code: string;
  // No constructor of its own: Error's (message, { cause }) is the one every subclass needs.
  /**
   * Errors serialise to their name, code, message and payload, never to a stack, a cause or a token.
   *
   * @example
   * JSON.stringify(new ConnectTimeoutError(10_000));
   * // {"name":"ConnectTimeoutError","code":"CONNECT_TIMEOUT",
   * //  "message":"the socket did not open within 10000 ms: check the URL, the network and that the server is up",
   * //  "phase":"connecting","timeout":10000}
   */
  toJSON(): Record<string, unknown> {
    const { stack: _stack, cause: _cause, ...payload } = this as unknown as Record<string, unknown>;
    return { name: this.name, code: this.code, message: this.message, ...payload };
  }
}

/**
 * The socket closed (by the server, the network or the browser) while the stream was live.
 *
 * @example
 * fromWebSocket(url).subscribe({
 *   error: (error) => {
 *     if (error instanceof ConnectionClosedError) console.log(error.closeCode, error.phase, error.message);
 *     // 1001 ready the connection closed (1001, "idle timeout") while ready, 30012 ms after it opened
 *   },
 * });
 */
export class ConnectionClosedError extends SocketPipelineError {
  override readonly name: string = 'ConnectionClosedError';
  readonly code: string = 'CONNECTION_CLOSED';
  constructor(
    /** Close code from the close frame (1006 when the connection dropped without one). */
    readonly closeCode: number,
    /** Close reason sent by the peer, '' when none. */
    readonly reason: string,
    /** Whether a closing handshake completed. */
    readonly wasClean: boolean,
    /** Phase the connection was in when it closed. */
    readonly phase: ConnectionPhase,
    /** Milliseconds between open and close; `undefined` when the socket never opened. */
    readonly msSinceOpen: number | undefined,
    message?: string,
    /** What the WebSocket implementation said went wrong (`ws`: ECONNREFUSED, a TLS error, an HTTP 401 instead of an upgrade). */
    cause?: unknown,
  ) {
    const described = message ?? describeClose(closeCode, reason, phase, msSinceOpen);
    super(cause === undefined ? described : `${described} (${errorSummary(cause)})`, cause === undefined ? undefined : { cause });
  }
}

/**
 * The server closed the socket after the auth frame and before any ack or reject frame. Strict
 * gateways answer a bad token, a wrong schema or a missing scope this way, with no error message.
 * It extends {@link ConnectionClosedError}: test for it first.
 *
 * @example
 * if (error instanceof AuthClosedError) console.log(error.message);
 * // the server closed the connection (1000, no reason) 12 ms after the auth frame and before any ack:
 * // it most likely rejected the auth payload (schema, token or scopes)
 */
export class AuthClosedError extends ConnectionClosedError {
  override readonly name = 'AuthClosedError';
  override readonly code = 'AUTH_CLOSED';
  constructor(
    closeCode: number,
    reason: string,
    wasClean: boolean,
    phase: ConnectionPhase,
    msSinceOpen: number | undefined,
    /** Milliseconds between sending the auth frame and the close. */
    readonly msSinceAuthFrame: number,
  ) {
    super(
      closeCode,
      reason,
      wasClean,
      phase,
      msSinceOpen,
      `the server closed the connection (${describeCode(closeCode, reason)}) ` +
        `${msSinceAuthFrame} ms after the auth frame and before any ack: it most likely rejected ` +
        `the auth payload (schema, token or scopes)`,
    );
  }
}

/**
 * The socket did not reach OPEN within the connect timeout.
 *
 * @example
 * fromWebSocket('wss://unreachable.example.com').pipe(waitForOpen({ timeout: 5_000 })).subscribe({
 *   error: (error) => console.log(error instanceof ConnectTimeoutError && error.message),
 *   // the socket did not open within 5000 ms: check the URL, the network and that the server is up
 * });
 */
export class ConnectTimeoutError extends SocketPipelineError {
  override readonly name = 'ConnectTimeoutError';
  readonly code = 'CONNECT_TIMEOUT';
  readonly phase: ConnectionPhase = 'connecting';
  constructor(/** The timeout that elapsed, in ms. */ readonly timeout: number) {
    super(`the socket did not open within ${timeout} ms: check the URL, the network and that the server is up`);
  }
}

/**
 * No ack (nor reject) arrived within the auth deadline.
 *
 * @example
 * if (error instanceof AuthTimeoutError) console.log(error.timeout, error.phase);
 * // 10000 authenticating
 */
export class AuthTimeoutError extends SocketPipelineError {
  override readonly name = 'AuthTimeoutError';
  readonly code = 'AUTH_TIMEOUT';
  constructor(
    /** The deadline that elapsed, in ms. */
    readonly timeout: number,
    /** 'authenticating' on connect, 'reauthenticating' after an expiry. */
    readonly phase: ConnectionPhase,
  ) {
    super(
      `no auth ack within ${timeout} ms of ${phase === 'reauthenticating' ? 'the re-auth starting' : 'the socket opening'} ` +
        `(${phase}): check the ack matcher against what the server really answers, and the token provider's speed`,
    );
  }
}

/**
 * The server answered the auth frame with an explicit reject frame.
 *
 * @example
 * if (error instanceof AuthRejectedError) redirectToLogin(error.reason);
 * // error.message: the server rejected the auth frame (authenticating): invalid token
 */
export class AuthRejectedError extends SocketPipelineError {
  override readonly name = 'AuthRejectedError';
  readonly code = 'AUTH_REJECTED';
  constructor(
    /** The server's reason, as extracted by the `rejectReason` option. */
    readonly reason: string,
    /** 'authenticating' on connect, 'reauthenticating' after an expiry. */
    readonly phase: ConnectionPhase,
  ) {
    super(`the server rejected the auth frame (${phase}): ${reason || 'no reason given'}`);
  }
}

/**
 * The token provider threw, rejected or completed without a token. The original error is the `cause`.
 *
 * @example
 * if (error instanceof TokenProviderError) console.log(error.message, error.cause);
 * // the token provider failed (authenticating): Error: token endpoint 503
 */
export class TokenProviderError extends SocketPipelineError {
  override readonly name = 'TokenProviderError';
  readonly code = 'TOKEN_PROVIDER';
  constructor(
    /** 'authenticating' on connect, 'reauthenticating' after an expiry. */
    readonly phase: ConnectionPhase,
    cause: unknown,
  ) {
    super(`the token provider failed (${phase}): ${errorSummary(cause)}`, { cause });
  }
}

/**
 * No pong (or no inbound frame at all) within the deadline: the connection is presumed dead.
 *
 * @example
 * if (error instanceof HeartbeatTimeoutError) console.log(error.mode, error.message);
 * // pong no pong within 10000 ms of a ping: the connection is presumed dead (half-open)
 */
export class HeartbeatTimeoutError extends SocketPipelineError {
  override readonly name = 'HeartbeatTimeoutError';
  readonly code = 'HEARTBEAT_TIMEOUT';
  constructor(
    /** 'pong': a ping went unanswered; 'silence': the server said nothing for too long. */
    readonly mode: 'pong' | 'silence',
    /** The deadline that elapsed, in ms. */
    readonly timeout: number,
    /** Phase the connection was in. */
    readonly phase: ConnectionPhase,
  ) {
    super(
      (mode === 'pong' ? `no pong within ${timeout} ms of a ping` : `the server was silent for ${timeout} ms`) +
        ': the connection is presumed dead (half-open)',
    );
  }
}

/**
 * A frame could not be turned into a typed message.
 *
 * @example
 * events$.pipe(messages(ChatMessage, { onInvalid: (error) => console.warn(error.kind, error.issues) })).subscribe();
 * // schema [ 'at .id: expected number, got "x"' ]
 */
export class DecodeError extends SocketPipelineError {
  override readonly name = 'DecodeError';
  readonly code = 'DECODE_ERROR';
  constructor(
    /** What went wrong: not JSON, wrong shape, binary where text was expected, or over the size limit. */
    readonly kind: 'json' | 'schema' | 'binary' | 'too-large',
    /** One line per failed field: `at .payload.id: expected number, got "x"`. Empty for non-schema kinds. */
    readonly issues: readonly string[],
    /** The start of the offending frame (at most 200 characters), for logs. */
    readonly preview: string,
    /** Frame size in bytes (UTF-16 code units for text frames). */
    readonly size: number,
  ) {
    super(describeDecode(kind, issues, size));
  }
}

/**
 * A send was attempted on a socket that is not OPEN.
 *
 * @example
 * try {
 *   connection.sendFrame({ type: 'ping' });
 * } catch (error) {
 *   if (error instanceof SocketNotOpenError) console.log(error.message);
 *   // cannot send: the socket is CONNECTING, not OPEN
 * }
 */
export class SocketNotOpenError extends SocketPipelineError {
  override readonly name = 'SocketNotOpenError';
  readonly code = 'NOT_OPEN';
  constructor(/** The socket's readyState at the time. */ readonly readyState: number) {
    super(`cannot send: the socket is ${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][readyState] ?? readyState}, not OPEN`);
  }
}

/**
 * No WebSocket constructor is available (Node without a global WebSocket, and none passed in).
 * The fix is to pass one:
 *
 * @example
 * import { WebSocket } from 'ws';
 * fromWebSocket(url, { WebSocketCtor: WebSocket });
 */
export class WebSocketUnavailableError extends SocketPipelineError {
  override readonly name = 'WebSocketUnavailableError';
  readonly code = 'NO_WEBSOCKET';
  constructor() {
    super("no global WebSocket in this runtime (Node < 22 has none): pass one as WebSocketCtor, e.g. `import { WebSocket } from 'ws'`");
  }
}

/**
 * `retryWithBackoff` gave up: attempts or elapsed time exhausted. The last failure is the `cause`.
 *
 * @example
 * pipeline$.pipe(retryWithBackoff({ maxAttempts: 5 })).subscribe({
 *   error: (error) => {
 *     if (error instanceof RetryExhaustedError) showOffline(error.attempts, error.cause);
 *   },
 * });
 */
export class RetryExhaustedError extends SocketPipelineError {
  override readonly name = 'RetryExhaustedError';
  readonly code = 'RETRY_EXHAUSTED';
  constructor(
    /** Reconnect attempts made. */
    readonly attempts: number,
    /** Milliseconds since the first failure of this outage. */
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    super(`gave up reconnecting after ${attempts} attempt(s) over ${elapsedMs} ms: ${errorSummary(cause)}`, { cause });
  }
}

function describeClose(code: number, reason: string, phase: ConnectionPhase, msSinceOpen: number | undefined): string {
  const what = describeCode(code, reason);
  if (msSinceOpen === undefined) {
    return `the connection failed before it opened (${what}): check the URL, the network and that the server is up`;
  }
  return `the connection closed (${what}) while ${phase}, ${msSinceOpen} ms after it opened`;
}

/** `1001, "idle timeout"` or `1006, no reason`. */
function describeCode(code: number, reason: string): string {
  return `${code}, ${reason ? `"${reason}"` : 'no reason'}`;
}

function describeDecode(kind: DecodeError['kind'], issues: readonly string[], size: number): string {
  switch (kind) {
    case 'json':
      return `a frame of ${size} bytes is not valid JSON`;
    case 'binary':
      return `a binary frame of ${size} bytes arrived where JSON text was expected`;
    case 'too-large':
      return `a frame of ${size} bytes is over the size limit`;
    case 'schema':
      return `a frame does not match the codec: ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`;
  }
}

/**
 * The WebSocket implementation itself refused an inbound frame and dropped the connection: a frame
 * over its size limit (`ws`'s `maxPayload`), text that is not valid UTF-8, or a broken frame. The
 * close code is the one the protocol assigns (1009, 1007, 1002), so `retryWithBackoff` follows the
 * close-code table (these codes are fatal by default: a server replaying the same frame on resume
 * would otherwise loop). Browsers do not say why, so this is only reported where the socket tells.
 *
 * @example
 * // A `ws` socket created with { maxPayload: 64 * 1024 }, and the server sends 1 MB:
 * if (error instanceof FrameRejectedError) console.log(error.kind, error.closeCode);
 * // too-large 1009
 */
export class FrameRejectedError extends ConnectionClosedError {
  override readonly name = 'FrameRejectedError';
  override readonly code = 'FRAME_REJECTED';
  constructor(
    /** What was wrong with the frame. */
    readonly kind: 'too-large' | 'invalid-utf8' | 'protocol',
    /** Phase the connection was in. */
    phase: ConnectionPhase,
    /** Milliseconds between open and close. */
    msSinceOpen: number | undefined,
  ) {
    const closeCode = kind === 'too-large' ? 1009 : kind === 'invalid-utf8' ? 1007 : 1002;
    const what =
      kind === 'too-large'
        ? 'over its size limit'
        : kind === 'invalid-utf8'
          ? 'text that is not valid UTF-8'
          : 'not a valid WebSocket frame';
    super(
      closeCode,
      '',
      false,
      phase,
      msSinceOpen,
      `the WebSocket refused an inbound frame (${what}) and dropped the connection (${closeCode}) ` +
        `while ${phase}: check the server's frames${kind === 'too-large' ? ", or raise the socket's maxPayload" : ''}`,
    );
  }
}
