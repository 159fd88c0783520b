import { clipText, SERVER_TEXT_LENGTH } from '../clip-text.js';
import { SocketPipelineError } from '../errors.js';

/**
 * Failures that only exist in one protocol. Like the core errors: fixed `name`, stable `code`,
 * readonly payload, and never a token (Genesys session tokens included) in a message.
 */

/**
 * One GraphQL error as the server formats it (`GraphQLFormattedError`).
 *
 * @example
 * const error: GraphqlFormattedError = { message: 'Not authorised', path: ['messages'], extensions: { code: 'FORBIDDEN' } };
 */
export interface GraphqlFormattedError {
  readonly message: string;
  /** Absent or `null` (older graphql-js versions format a missing value as `null`). */
  readonly locations?: ReadonlyArray<{ readonly line: number; readonly column: number }> | null;
  readonly path?: ReadonlyArray<string | number> | null;
  readonly extensions?: Readonly<Record<string, unknown>> | null;
}

/**
 * The server answered a GraphQL operation with an `error` message (validation failed, unknown
 * field, a resolver threw before the first result): the operation is over, the socket is fine.
 *
 * @example
 * graphqlSubscribe(session, { query: 'subscription { nope }' }).subscribe({
 *   error: (error) => {
 *     if (error instanceof GraphqlOperationError) console.log(error.errors[0]?.message);
 *     // Cannot query field "nope" on type "Subscription".
 *   },
 * });
 */
export class GraphqlOperationError extends SocketPipelineError {
  override readonly name = 'GraphqlOperationError';
  readonly code = 'GRAPHQL_OPERATION_ERROR';
  constructor(
    /** The operation id. */
    readonly id: string,
    /** The errors the server sent. */
    readonly errors: readonly GraphqlFormattedError[],
  ) {
    super(
      `the GraphQL server refused operation ${id}: ${clipText(errors.map((error) => error.message).join('; '), SERVER_TEXT_LENGTH) || 'no message'}` +
        ' (check the query and variables against the schema)',
    );
  }
}

/**
 * Genesys Web Messaging sent `SessionExpiredEvent`: the guest session is over and its token is
 * dead. A reconnect with the same token would be refused (4006), so the session ends.
 *
 * @example
 * session.state$.subscribe((state) => {
 *   if (state.type === 'closed' && state.error instanceof GenesysSessionExpiredError) startNewChat(crypto.randomUUID());
 * });
 */
export class GenesysSessionExpiredError extends SocketPipelineError {
  override readonly name = 'GenesysSessionExpiredError';
  readonly code = 'GENESYS_SESSION_EXPIRED';
  constructor() {
    super('the Genesys web messaging session expired: start a new session with a new session token (uuid)');
  }
}

/**
 * Genesys Web Messaging sent `ConnectionClosedEvent`: the server ended this guest session for
 * good (session limit reached, conversation cleared, user signed in elsewhere). Never retried.
 *
 * @example
 * session.state$.subscribe((state) => {
 *   if (state.type === 'closed' && state.error instanceof GenesysConnectionClosedError) showEnded(state.error.reason);
 * });
 */
export class GenesysConnectionClosedError extends SocketPipelineError {
  override readonly name = 'GenesysConnectionClosedError';
  readonly code = 'GENESYS_CONNECTION_CLOSED';
  constructor(/** The event's `reason`, '' when none. */ readonly reason: string) {
    super(
      `the Genesys web messaging server closed the session for good (ConnectionClosedEvent${reason ? `: ${clipText(reason, SERVER_TEXT_LENGTH)}` : ''}); ` +
        'it does not want a reconnect',
    );
  }
}
