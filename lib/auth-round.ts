import type { Subscription } from 'rxjs';
import type { AuthExchange } from './auth-exchange.js';
import { clipText, SERVER_TEXT_LENGTH } from './clip-text.js';
import { AuthClosedError, AuthRejectedError, AuthTimeoutError, ConnectionClosedError } from './errors.js';
import type { InboundFrame } from './inbound-frame.js';
import type { SocketConnection } from './socket-connection.js';
import { tokenFrom } from './token-source.js';

/** What a round does with a frame: it was the ack, the reject, or not ours. */
export type RoundVerdict = 'ack' | 'reject' | 'other';

/**
 * One auth exchange on one socket: fetch a token, send the auth frame as soon as the socket is
 * open, and wait for the ack within the deadline. Shared by `authenticate` (on connect) and
 * `reauthOnExpiry` (on the same socket later).
 */
export class AuthRound {
  private token: { value: unknown } | undefined;
  // The token's strings, kept until the round settles: a server that echoes the token in its
  // reject or close reason must not put it into an error message.
  private secrets: readonly string[] = [];
  private authFrameSentAt: number | undefined;
  private tokenSubscription: Subscription | undefined;
  private deadline: Subscription | undefined;
  private settled = false;
  private started = false;

  constructor(
    private readonly exchange: AuthExchange,
    private readonly connection: SocketConnection,
    private readonly phase: 'authenticating' | 'reauthenticating',
    private readonly fail: (error: unknown) => void,
  ) {}

  /** Starts fetching the token; the frame goes out once both the token and an open socket exist. */
  fetchToken(): void {
    this.tokenSubscription = tokenFrom(this.exchange.token, this.phase).subscribe({
      next: (token) => {
        this.token = { value: token };
        this.sendIfReady();
      },
      error: (error: unknown) => this.settle(error),
    });
  }

  /** Starts the ack deadline (on open, or at once for a re-auth) and sends if the token is here. */
  startDeadline(): void {
    this.started = true;
    if (this.exchange.timeout > 0 && Number.isFinite(this.exchange.timeout)) {
      this.deadline = this.exchange.scheduler.schedule(
        () => this.settle(new AuthTimeoutError(this.exchange.timeout, this.phase)),
        this.exchange.timeout,
      );
    }
    this.sendIfReady();
  }

  /** Classifies an inbound frame; settles the round on its ack or reject. */
  handle(frame: InboundFrame): RoundVerdict {
    if (this.settled || this.authFrameSentAt === undefined) return 'other';
    if (this.exchange.isAck(frame)) {
      this.settle(undefined);
      return 'ack';
    }
    if (this.exchange.isReject(frame)) {
      this.settle(
        new AuthRejectedError(clipText(redact(this.exchange.rejectReason(frame.json), this.secrets), SERVER_TEXT_LENGTH), this.phase),
      );
      return 'reject';
    }
    return 'other';
  }

  /**
   * Turns a close during this round into the diagnosis a user needs: after the auth frame and
   * before any ack, a server's own close (a clean one, not "going away" or "restarting") almost
   * always means it rejected the auth payload. A dropped network (1006) or a server shutting down
   * is no verdict on the payload and stays a plain `ConnectionClosedError`, retried as usual.
   */
  explainClose(error: unknown): unknown {
    if (this.settled || this.authFrameSentAt === undefined || !(error instanceof ConnectionClosedError)) return error;
    if (error instanceof AuthClosedError || !error.wasClean || NOT_ABOUT_AUTH.has(error.closeCode)) return error;
    return new AuthClosedError(
      error.closeCode,
      redact(error.reason, this.secrets),
      error.wasClean,
      this.phase,
      error.msSinceOpen,
      this.exchange.scheduler.now() - this.authFrameSentAt,
    );
  }

  /** Stops the token fetch and the deadline; nothing is left scheduled. */
  cancel(): void {
    this.settled = true;
    this.secrets = [];
    this.tokenSubscription?.unsubscribe();
    this.deadline?.unsubscribe();
  }

  private sendIfReady(): void {
    if (!this.started || this.settled || this.token === undefined || this.authFrameSentAt !== undefined) return;
    if (!this.connection.isOpen) return; // the close that follows reports it
    try {
      const token = this.token.value;
      this.connection.sendFrame(this.exchange.message(token));
      this.exchange.tokenExpiresAt = this.exchange.expiresAt(token);
      this.secrets = secretsOf(token);
    } catch (error) {
      this.settle(error);
      return;
    }
    this.token = undefined; // hold the secret no longer than needed
    this.authFrameSentAt = this.exchange.scheduler.now();
  }

  private settle(error: unknown): void {
    if (this.settled) return;
    this.cancel();
    if (error !== undefined) this.fail(error);
  }
}

/** `text` with every secret replaced by `***` (before any clipping, so no part of one survives a cut). */
function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join('***');
  return result;
}

/**
 * The strings of a token worth hiding: the token itself, or the string fields (8 characters or
 * more, a few levels deep) of a token object such as `{ jwt, refreshToken }`.
 */
function secretsOf(token: unknown, depth = 0): string[] {
  if (typeof token === 'string') return token.length >= MIN_SECRET_LENGTH ? [token] : [];
  if (typeof token !== 'object' || token === null || depth > 3) return [];
  return Object.values(token).flatMap((value) => secretsOf(value, depth + 1));
}

// Shorter strings are test placeholders or field values ('Bearer', 'guest'), not secrets: hiding
// them would garble every reason that happens to contain them.
const MIN_SECRET_LENGTH = 8;

/** Clean closes that say nothing about the auth payload: going away, restarting, try again later, bad gateway. */
const NOT_ABOUT_AUTH = new Set([1001, 1012, 1013, 1014]);
