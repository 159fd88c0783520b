import type { SchedulerLike } from 'rxjs';
import type { FrameMatcher } from './frame-matcher.js';
import type { InboundFrame } from './inbound-frame.js';
import type { SocketConnection } from './socket-connection.js';
import type { TokenSource } from './token-source.js';

/**
 * How to authenticate on a connection, as `authenticate` configured it. `reauthOnExpiry` repeats
 * the same exchange on the same socket, so its config only says when. Kept in a WeakMap rather than
 * on the connection so nothing token-related is reachable from an object apps log.
 */
export interface AuthExchange {
  readonly token: TokenSource<unknown>;
  readonly message: (token: unknown) => unknown;
  readonly isAck: (frame: InboundFrame) => boolean;
  readonly isReject: (frame: InboundFrame) => boolean;
  readonly rejectReason: (value: unknown) => string;
  readonly timeout: number;
  readonly expiresAt: (token: unknown) => number | undefined;
  readonly scheduler: SchedulerLike;
  /** Expiry (epoch ms, or the scheduler's clock) of the token last sent; `undefined` if unknown. */
  tokenExpiresAt: number | undefined;
  /** Ack matcher as configured, for operators that need it again. */
  readonly ack: FrameMatcher;
}

const exchanges = new WeakMap<SocketConnection, AuthExchange>();

/** Records the exchange `authenticate` used on this connection. */
export function registerAuthExchange(connection: SocketConnection, exchange: AuthExchange): void {
  exchanges.set(connection, exchange);
}

/** The exchange `authenticate` used on this connection, if any. */
export function authExchangeOf(connection: SocketConnection): AuthExchange | undefined {
  return exchanges.get(connection);
}

/** Default reject reason: the first string among the usual fields of a reject frame. */
export function defaultRejectReason(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  for (const key of ['reason', 'message', 'error', 'code', 'status']) {
    const field = record[key];
    // Unclipped: the auth round redacts the token from it first, then clips (auth-round.ts).
    if (typeof field === 'string' || typeof field === 'number') return String(field);
  }
  return '';
}
