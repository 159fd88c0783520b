import type { SchedulerLike } from 'rxjs';
import type { InboundFrame } from './inbound-frame.js';
import type { SocketConnection } from './socket-connection.js';
import type { TokenSource } from './token-source.js';

/**
 * How to authenticate, as one `authenticate()` configured it (shared by its subscriptions).
 * `reauthOnExpiry` repeats the same exchange on the same socket, so its config only says when.
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
}

// WeakMaps rather than fields on the connection, so nothing token-related is reachable from an
// object apps log.

/** The exchange `authenticate` runs on a connection, for `reauthOnExpiry` to repeat. */
export const authExchanges = new WeakMap<SocketConnection, AuthExchange>();

/** Expiry (epoch ms, or the scheduler's clock) of the token last sent on a connection, if known. */
export const tokenExpiry = new WeakMap<SocketConnection, number | undefined>();

/** Default reject reason: the first string among the usual fields of a reject frame. */
export function defaultRejectReason(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  for (const key of ['reason', 'message', 'error', 'code', 'status']) {
    const field = (value as Record<string, unknown>)[key];
    // Unclipped: the auth round redacts the token from it first, then clips (auth-round.ts).
    if (typeof field === 'string' || typeof field === 'number') return String(field);
  }
  return '';
}
