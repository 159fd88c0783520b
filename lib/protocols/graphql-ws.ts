import * as t from 'io-ts';
import { Observable, type Subscription } from 'rxjs';
import { CLOSE_CODES, type CloseCodeVerdict } from '../close-codes.js';
import { decoderFor } from '../decode.js';
import type { HeartbeatConfig } from '../operators/heartbeat.js';
import type { RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';
import type { SessionAuthConfig, SocketSession } from '../session/connect.js';
import type { SendReceipt } from '../session/send-receipt.js';
import type { TokenSource } from '../token-source.js';
import { authClosePolicy, type PresetRetryConfig } from './auth-close-policy.js';
import { GraphqlOperationError, type GraphqlFormattedError } from './errors.js';
import { matchesPattern } from './frame-pattern.js';

/**
 * The subprotocol of GraphQL over WebSocket (the `graphql-ws` package), offered in the handshake.
 *
 * @example
 * fromWebSocket('wss://api.example.com/graphql', { protocols: GRAPHQL_TRANSPORT_WS_PROTOCOL });
 */
export const GRAPHQL_TRANSPORT_WS_PROTOCOL = 'graphql-transport-ws';

// ---- messages ---------------------------------------------------------------------------------

const JsonObject = t.record(t.string, t.unknown);

/**
 * A GraphQL error as servers format it.
 *
 * @example
 * GraphqlFormattedErrorCodec.is({ message: 'Unknown field', locations: [{ line: 1, column: 3 }] }); // true
 */
export const GraphqlFormattedErrorCodec: t.Type<GraphqlFormattedError, unknown, unknown> = t.intersection([
  t.type({ message: t.string }),
  // As lenient as graphql-ws's own client: only `message` is required; older servers send nulls.
  t.partial({
    locations: t.union([t.readonlyArray(t.type({ line: t.number, column: t.number })), t.null]),
    path: t.union([t.readonlyArray(t.union([t.string, t.number])), t.null]),
    extensions: t.union([JsonObject, t.null]),
  }),
]) as t.Type<GraphqlFormattedError, unknown, unknown>;

/**
 * What a `subscribe` message asks for: the operation, its variables and name.
 *
 * @example
 * const request: GraphqlRequest = { query: 'subscription ($room: ID!) { messages(room: $room) { text } }', variables: { room: 'r1' } };
 */
export const GraphqlRequest = t.intersection([
  t.type({ query: t.string }),
  t.partial({
    operationName: t.union([t.string, t.null]),
    variables: t.union([JsonObject, t.null]),
    extensions: t.union([JsonObject, t.null]),
  }),
]);
export type GraphqlRequest = t.TypeOf<typeof GraphqlRequest>;

/**
 * Client -> server: start an operation under a unique `id`. {@link graphqlSubscribe} builds it.
 *
 * @example
 * session.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { greetings }' } });
 */
export const GraphqlSubscribeMessage = t.type({ id: t.string, type: t.literal('subscribe'), payload: GraphqlRequest });
export type GraphqlSubscribeMessage = t.TypeOf<typeof GraphqlSubscribeMessage>;

/**
 * Both ways: the operation `id` is over (client: stop it; server: no more results).
 *
 * @example
 * session.send({ id: '1', type: 'complete' }); // stop operation 1
 */
export const GraphqlCompleteMessage = t.type({ id: t.string, type: t.literal('complete') });
export type GraphqlCompleteMessage = t.TypeOf<typeof GraphqlCompleteMessage>;

/**
 * One execution result.
 *
 * @example
 * GraphqlExecutionResult.is({ data: { greetings: 'Hi' } }); // true
 */
export const GraphqlExecutionResult = t.partial({
  data: t.union([JsonObject, t.null]),
  errors: t.union([t.readonlyArray(GraphqlFormattedErrorCodec), t.null]),
  extensions: t.union([JsonObject, t.null]),
});
export type GraphqlExecutionResult = t.TypeOf<typeof GraphqlExecutionResult>;

/**
 * Server -> client: one result of operation `id`.
 *
 * @example
 * session.messages$.pipe(filter(GraphqlNextMessage.is)).subscribe((message) => console.log(message.id, message.payload.data));
 * // 1 { greetings: 'Hi' }
 */
export const GraphqlNextMessage = t.type({ id: t.string, type: t.literal('next'), payload: GraphqlExecutionResult });
export type GraphqlNextMessage = t.TypeOf<typeof GraphqlNextMessage>;

/**
 * Server -> client: operation `id` failed before or instead of results (validation errors...).
 *
 * @example
 * session.messages$.pipe(filter(GraphqlErrorMessage.is)).subscribe((message) => console.warn(message.id, message.payload[0]?.message));
 * // 1 Cannot query field "nope" on type "Subscription".
 */
export const GraphqlErrorMessage = t.type({
  id: t.string,
  type: t.literal('error'),
  payload: t.readonlyArray(GraphqlFormattedErrorCodec),
});
export type GraphqlErrorMessage = t.TypeOf<typeof GraphqlErrorMessage>;

/**
 * Every app-level message a client sends (`connection_init`, `ping`, `pong` are the session's).
 *
 * @example
 * GraphqlClientMessage.is({ id: '1', type: 'complete' }); // true
 * GraphqlClientMessage.is({ type: 'connection_init' }); // false: the session sends that one
 */
export const GraphqlClientMessage = t.union([GraphqlSubscribeMessage, GraphqlCompleteMessage]);
export type GraphqlClientMessage = t.TypeOf<typeof GraphqlClientMessage>;

/**
 * Every app-level message a server sends (`connection_ack`, `ping`, `pong` are consumed by the session).
 *
 * @example
 * session.messages$.subscribe((message) => {
 *   if (message.type === 'next') console.log(message.id, message.payload.data);
 * });
 */
export const GraphqlServerMessage = t.union([GraphqlNextMessage, GraphqlErrorMessage, GraphqlCompleteMessage]);
export type GraphqlServerMessage = t.TypeOf<typeof GraphqlServerMessage>;

// ---- close codes ------------------------------------------------------------------------------

/**
 * Close codes of `graphql-transport-ws`, with the verdict for a reconnect. Follows the graphql-ws
 * client's own list, except 4403 (see below). Codes not listed follow {@link CLOSE_CODES}.
 *
 * @example
 * // Treat 4500 (a server hook threw) as passing, for a server that restarts its hooks.
 * graphqlWs({ closeCodes: { ...GRAPHQL_WS_CLOSE_CODES, 4500: 'retry' } });
 */
export const GRAPHQL_WS_CLOSE_CODES: Readonly<Record<number, CloseCodeVerdict>> = {
  ...CLOSE_CODES,
  // Bad response: the server sent something that is not the protocol; a server bug.
  4004: 'fatal',
  // Internal client error: our bug.
  4005: 'fatal',
  // Bad request: a message we sent was invalid; it will be again.
  4400: 'fatal',
  // Unauthorized: `subscribe` before `connection_ack`; cannot happen with the session's auth gate, a bug if it does.
  4401: 'fatal',
  // Forbidden: `onConnect` refused the connection params, often an expired token; a fresh one may pass.
  // Bounded by the preset's `authCloseRetries` so a refused identity does not loop.
  4403: 'retry',
  // Subprotocol not acceptable: the server does not speak graphql-transport-ws; it will not learn.
  4406: 'fatal',
  // Connection initialisation timeout: our init was late once (slow token provider).
  4408: 'retry',
  // Subscriber already exists: two operations with one id; a client bug.
  4409: 'fatal',
  // Too many initialisation requests: a second connection_init; a client bug, not rate limiting.
  4429: 'fatal',
  // Terminated (set by clients that kill a frozen socket): a fresh socket may work.
  4499: 'retry',
  // Internal server error: a hook threw; graphql-ws's client stops here, so do we.
  4500: 'fatal',
  // Connection acknowledgement timeout (client side): the server was slow once.
  4504: 'retry',
};

// ---- preset -----------------------------------------------------------------------------------

/**
 * The `connection_init` payload: whatever the server's `onConnect` reads (a token, usually).
 *
 * @example
 * graphqlWs({ connectionParams: async (): Promise<GraphqlConnectionParams> => ({ authToken: await auth.getToken() }) });
 */
export type GraphqlConnectionParams = Readonly<Record<string, unknown>> | null;

/**
 * Options of {@link graphqlWs}.
 *
 * @example
 * const options: GraphqlWsOptions = { connectionParams: async () => ({ authToken: await getToken() }), pingInterval: 10_000, authCloseRetries: 2 };
 * connect({ url: 'wss://api.example.com/graphql', ...graphqlWs(options) });
 */
export interface GraphqlWsOptions {
  /**
   * The `connection_init` payload, or a provider called afresh on every (re)connect.
   * @default null (no payload)
   */
  connectionParams?: TokenSource<GraphqlConnectionParams>;
  /**
   * Milliseconds `connection_ack` may take.
   * @default 10000
   */
  ackTimeout?: number;
  /**
   * Milliseconds between client `ping`s once acknowledged; 0 sends none (server pings are still answered).
   * @default 20000
   */
  pingInterval?: number;
  /**
   * Milliseconds a ping may wait for its `pong`.
   * @default 10000
   */
  pongTimeout?: number;
  /**
   * Close-code verdicts.
   * @default GRAPHQL_WS_CLOSE_CODES
   */
  closeCodes?: Readonly<Record<number, CloseCodeVerdict>>;
  /**
   * Closes right after `connection_init` (4403 from `onConnect`, or a silent close) retried in a
   * row with fresh params before the session gives up with the `AuthClosedError`.
   * @default 1
   */
  authCloseRetries?: number;
  /**
   * Backoff options passed to the session's `retry`.
   * @default {}
   */
  retry?: PresetRetryConfig;
}

/**
 * What {@link graphqlWs} returns: spread it into `connect()`'s config (add `url`).
 *
 * @example
 * const preset: GraphqlWsPreset = graphqlWs();
 * const session = connect({ url: 'wss://api.example.com/graphql', WebSocketCtor: WebSocket, ...preset });
 */
export interface GraphqlWsPreset {
  /** The subprotocol offered in the handshake: `graphql-transport-ws`. */
  readonly protocols: string;
  /** Codec of the app-level server messages (`next`, `error`, `complete`); acks, pings and pongs are consumed. */
  readonly inbound: typeof GraphqlServerMessage;
  /** Codec of the client messages the session may send (`subscribe`, `complete`). */
  readonly outbound: typeof GraphqlClientMessage;
  /** The `connectionParams`, read afresh on every connect. */
  readonly token: TokenSource<GraphqlConnectionParams>;
  /** `connection_init` out, `connection_ack` back within `ackTimeout`. */
  readonly auth: SessionAuthConfig<GraphqlConnectionParams, unknown>;
  /** Protocol pings every `pingInterval` (0: none), and a pong for each server ping. */
  readonly heartbeat: Omit<HeartbeatConfig, 'scheduler'>;
  /** Reconnect policy: the `closeCodes` verdicts, `authCloseRetries`, and the `retry` option's backoff. */
  readonly retry: Omit<RetryWithBackoffConfig, 'scheduler'>;
}

/**
 * A session speaking graphql-transport-ws, as {@link graphqlSubscribe} needs it.
 *
 * @example
 * const session: GraphqlSession = connect({ url: 'wss://api.example.com/graphql', ...graphqlWs() });
 */
export type GraphqlSession = Pick<SocketSession<GraphqlServerMessage, GraphqlClientMessage>, 'messages$' | 'state$' | 'send'>;

/** Longest timer delay; used as a "never" silence deadline (see `graphqlWs`). */
const NEVER_SILENT = 2 ** 31 - 1;

/**
 * Preset for GraphQL over WebSocket (`graphql-transport-ws`, the protocol of the `graphql-ws`
 * package): offers the subprotocol, sends `connection_init` with the params and waits for
 * `connection_ack` before any `subscribe`, pings and answers server pings, and applies the
 * protocol's close codes. Run operations with {@link graphqlSubscribe}. Call it once per session.
 *
 * @example
 * const session = connect({ url: 'wss://api.example.com/graphql', ...graphqlWs({ connectionParams: () => ({ token: getToken() }) }) });
 * graphqlSubscribe<{ greetings: string }>(session, { query: 'subscription { greetings }' })
 *   .subscribe((result) => console.log(result.data?.greetings));
 * // Hi
 * // Bonjour
 * @see graphqlSubscribe, GRAPHQL_WS_CLOSE_CODES
 */
export function graphqlWs(options: GraphqlWsOptions = {}): GraphqlWsPreset {
  const {
    connectionParams = null,
    ackTimeout = 10_000,
    pingInterval = 20_000,
    pongTimeout = 10_000,
    closeCodes = GRAPHQL_WS_CLOSE_CODES,
    authCloseRetries = 1,
    retry = {},
  } = options;
  const policy = authClosePolicy(closeCodes, authCloseRetries);
  return {
    protocols: GRAPHQL_TRANSPORT_WS_PROTOCOL,
    inbound: GraphqlServerMessage,
    outbound: GraphqlClientMessage,
    // A function, so that `null` (no params) is still a token the session accepts.
    token: typeof connectionParams === 'function' ? connectionParams : () => connectionParams,
    auth: {
      message: (params) => (params == null ? { type: 'connection_init' } : { type: 'connection_init', payload: params }),
      ack: policy.countAcks(matchesPattern({ type: 'connection_ack' })),
      reject: undefined,
      timeout: ackTimeout,
      expiresAt: () => undefined,
    },
    heartbeat: {
      interval: pingInterval,
      timeout: pongTimeout,
      ping: () => ({ type: 'ping' }),
      pong: matchesPattern({ type: 'pong' }),
      serverPing: matchesPattern({ type: 'ping' }),
      replyToServerPing: () => ({ type: 'pong' }),
      // The heartbeat only looks at frames while a timer runs: without client pings, a silence
      // deadline that never fires keeps it answering server pings and consuming pongs.
      maxSilence: pingInterval > 0 ? 0 : NEVER_SILENT,
    },
    retry: { ...retry, shouldRetry: policy.shouldRetry },
  };
}

// ---- operations -------------------------------------------------------------------------------

/**
 * One result of an operation, `data` typed.
 *
 * @example
 * graphqlSubscribe<{ greetings: string }>(session, { query: 'subscription { greetings }' }).subscribe((result: GraphqlResult<{ greetings: string }>) => {
 *   if (result.errors) console.warn(result.errors[0]?.message); // field errors: the operation goes on
 *   else console.log(result.data?.greetings);
 * });
 */
export interface GraphqlResult<Data> {
  /** The data of this result; `null` or absent when an error prevented it. */
  readonly data?: Data | null;
  /** Errors of this result (a resolver failed for some fields); the operation goes on. `null` from some servers. */
  readonly errors?: readonly GraphqlFormattedError[] | null;
  /** Whatever the server adds (tracing, cost...). */
  readonly extensions?: Readonly<Record<string, unknown>> | null;
}

/**
 * Options of {@link graphqlSubscribe}.
 *
 * @example
 * const Count = t.type({ count: t.number });
 * const options: GraphqlSubscribeOptions<t.TypeOf<typeof Count>> = { id: 'counter', data: Count };
 * graphqlSubscribe(session, { query: 'subscription { count(to: 3) }' }, options).subscribe((result) => console.log(result.data?.count));
 */
export interface GraphqlSubscribeOptions<Data> {
  /**
   * The operation id; unique among the session's running operations.
   * @default a fresh id
   */
  id?: string;
  /**
   * io-ts codec of `data`: each result is checked, and a mismatch errors the operation with a `DecodeError`.
   * @default undefined (`data` is typed by the caller, not checked)
   */
  data?: t.Type<Data, unknown, unknown>;
}

let lastOperation = 0;
const operationPrefix = Math.random().toString(36).slice(2, 8);

/**
 * Runs a GraphQL operation (subscription, query or mutation) over a {@link graphqlWs} session:
 * sends `subscribe` (queued until the session is acknowledged), emits each `next` payload,
 * completes on `complete`, errors with {@link GraphqlOperationError} on `error`, and sends
 * `complete` when unsubscribed early. After a reconnect the operation is subscribed again on the
 * new socket under the same id (the server forgot it with the old one), as the graphql-ws client
 * does. A fatal session failure errors it; `session.close()` completes it.
 *
 * @example
 * graphqlSubscribe(session, { query: 'subscription { count(to: 3) }' }, { data: t.type({ count: t.number }) })
 *   .subscribe({ next: (result) => console.log(result.data?.count), complete: () => console.log('done') });
 * // 1
 * // 2
 * // 3
 * // done
 * @see graphqlWs
 */
export function graphqlSubscribe<Data = Record<string, unknown>>(
  session: GraphqlSession,
  request: GraphqlRequest,
  options: GraphqlSubscribeOptions<Data> = {},
): Observable<GraphqlResult<Data>> {
  const { id: fixedId, data } = options;
  if (!GraphqlRequest.is(request)) throw new TypeError('graphqlSubscribe: request must be { query, variables?, operationName? }');
  const decodeData = data ? decoderFor<Data>(data) : undefined;

  return new Observable<GraphqlResult<Data>>((subscriber) => {
    const id = fixedId ?? `${operationPrefix}-${++lastOperation}`;
    let receipt: SendReceipt | undefined;
    let over = false;
    const start = () => {
      receipt = session.send({ id, type: 'subscribe', payload: request });
      receipt.catch((error: unknown) => {
        over = true;
        subscriber.error(error);
      });
    };
    // Tells the server to stop. A subscribe still queued gets its complete queued right behind it
    // now, not once it is written: the queue writes in order, so a resubscribe under the same id
    // (React StrictMode mounts twice) goes out after this complete, never as a second subscribe
    // for a running id, which the server answers with a fatal 4409.
    const stop = () => {
      if (receipt?.status === 'written' || receipt?.status === 'queued') session.send({ id, type: 'complete' });
    };

    const inbound: Subscription = session.messages$.subscribe({
      next: (message) => {
        if (message.id !== id || over) return;
        if (message.type === 'next') {
          const result = message.payload;
          if (decodeData && result.data != null) {
            const decoded = decodeData(result.data, () => JSON.stringify(result.data).slice(0, 200), 0);
            if (!decoded.ok) {
              over = true;
              stop();
              subscriber.error(decoded.error);
              return;
            }
            subscriber.next({ ...result, data: decoded.value });
            return;
          }
          subscriber.next(result as GraphqlResult<Data>);
        } else if (message.type === 'error') {
          over = true;
          subscriber.error(new GraphqlOperationError(id, message.payload));
        } else {
          over = true;
          subscriber.complete();
        }
      },
      error: (error: unknown) => {
        over = true;
        subscriber.error(error);
      },
      complete: () => {
        over = true;
        subscriber.complete();
      },
    });

    // A new socket knows nothing of operations started on the old one. A subscribe still queued
    // goes out on the new socket by itself; one already written must be sent again.
    const sockets = session.state$.subscribe((state) => {
      if (state.type === 'connecting' && !over && receipt?.status === 'written') start();
    });

    start();

    return () => {
      // complete first: leaving messages$ may close the socket at once (grace 0), and a complete
      // sent after that would open a new socket just to carry it.
      if (!over) {
        over = true;
        stop();
      }
      inbound.unsubscribe();
      sockets.unsubscribe();
    };
  });
}
