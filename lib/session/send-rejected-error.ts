import { SocketPipelineError } from '../errors.js';

/**
 * The server answered one specific message with an error (for example "message too long"): that
 * message is given up and never written again, since re-sending it would only be refused again.
 * Made by a `sendAck.failed` recogniser; the receipt of that send rejects with it, and `dropped$`
 * reports it. Like every error of this library it never holds the message or a token.
 *
 * @example
 * sendAck: {
 *   keyOf: (message) => message.clientId,
 *   ackedKey: (frame) => (Accepted.is(frame) ? frame.clientId : undefined),
 *   failed: (frame) => (Refused.is(frame) ? { key: frame.clientId, error: new SendRejectedError(frame.reason, frame.code) } : undefined),
 * },
 * // later: await session.send(tooLong) rejects with
 * // SendRejectedError: the server refused this message (4011): message too long; it is not sent again
 */
export class SendRejectedError extends SocketPipelineError {
  override readonly name = 'SendRejectedError';
  readonly code = 'SEND_REJECTED';
  constructor(
    /** Why, in the server's words (keep it short; never the message itself). */
    readonly reason: string,
    /** The server's error code, when it gave one. */
    readonly serverCode?: number | string,
  ) {
    super(`the server refused this message${serverCode === undefined ? '' : ` (${serverCode})`}: ${reason}; it is not sent again`);
  }
}
