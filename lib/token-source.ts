import { catchError, defer, from, isObservable, Observable, of, take, throwIfEmpty } from 'rxjs';
import { TokenProviderError, type ConnectionPhase } from './errors.js';

/**
 * Where a token comes from: a fixed value, or a function returning the value, a Promise or an
 * Observable (its first value is used). The function runs afresh on every (re)connect and re-auth,
 * so an expired token is never re-sent.
 *
 * @example
 * const fixed: TokenSource = 'api-key-from-env';
 * const fresh: TokenSource = () => fetch('/token').then((response) => response.text());
 * const fromStore: TokenSource = () => authService.token$; // first value used
 */
export type TokenSource<TToken = string> = TToken | (() => TToken | PromiseLike<TToken> | Observable<TToken>);

/**
 * One fresh token per subscription. Failures (throw, rejection, error, completion without a value)
 * become a {@link TokenProviderError}, whose message never contains a token.
 */
export function tokenFrom<TToken>(source: TokenSource<TToken>, phase: ConnectionPhase): Observable<TToken> {
  return defer(() => {
    const value = typeof source === 'function' ? (source as () => unknown)() : source;
    // `of`, not `from`, for a plain token: a string is iterable, and would come one letter at a time.
    const isPromiseLike = typeof (value as { then?: unknown } | null)?.then === 'function';
    return (isObservable(value) ? value : isPromiseLike ? from(value as PromiseLike<unknown>) : of(value)) as Observable<TToken>;
  }).pipe(
    take(1),
    throwIfEmpty(() => new Error('it completed without a token')),
    catchError((error: unknown) => {
      throw new TokenProviderError(phase, error);
    }),
  );
}

/**
 * The expiry of a JWT, read from its `exp` claim (epoch seconds) without verifying it, in epoch ms;
 * `undefined` for anything that is not a JWT with a numeric `exp`.
 *
 * @example
 * // header.{"exp":1767225600}.signature
 * new Date(jwtExpiresAt(token)!).toISOString(); // '2026-01-01T00:00:00.000Z'
 * jwtExpiresAt('not-a-jwt'); // undefined
 */
export function jwtExpiresAt(token: unknown): number | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    // base64url to base64 (atob needs no `=` padding: forgiving-base64); the payload is UTF-8.
    const binary = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const payload = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const { exp } = JSON.parse(payload) as { exp?: unknown };
    return Number.isFinite(exp) ? (exp as number) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
