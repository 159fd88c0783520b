import { defer, from, isObservable, Observable, of, take, throwError, catchError, defaultIfEmpty, mergeMap } from 'rxjs';
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

const NO_TOKEN = Symbol('NO_TOKEN');

/**
 * One fresh token per subscription. Failures (throw, rejection, error, completion without a value)
 * become a {@link TokenProviderError}, whose message never contains a token.
 */
export function tokenFrom<TToken>(source: TokenSource<TToken>, phase: ConnectionPhase): Observable<TToken> {
  return defer(() => {
    const value = typeof source === 'function' ? (source as () => unknown)() : source;
    if (isObservable(value)) return value as Observable<TToken>;
    if (isPromiseLike(value)) return from(value as PromiseLike<TToken>);
    return of(value as TToken);
  }).pipe(
    take(1),
    defaultIfEmpty(NO_TOKEN),
    mergeMap((token) => (token === NO_TOKEN ? throwError(() => new Error('it completed without a token')) : of(token as TToken))),
    catchError((error: unknown) => throwError(() => new TokenProviderError(phase, error))),
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
    const payload = JSON.parse(decodeBase64Url(parts[1]!)) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function decodeBase64Url(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
