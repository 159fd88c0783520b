import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import { WebSocket } from 'ws';
import type { SocketSession } from '../../lib/session/connect.js';
import type { SessionState } from '../../lib/session/session-state.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';

/** `ws`'s WebSocket as the session's constructor type (its overloads do not match the DOM-shaped one). */
export const NodeWebSocket = WebSocket as unknown as WebSocketCtor;

/** Fast, deterministic backoff for real-socket specs. */
export const FAST_RETRY = { initialDelay: 10, maxDelay: 40, jitter: 'none', resetAfter: 50 } as const;

/** The first value of `source$` that passes `predicate`; fails the test after `ms` (a guard, not an assertion). */
export function until<T>(source$: Observable<T>, predicate: (value: T) => boolean, ms = 4000): Promise<T> {
  return firstValueFrom(source$.pipe(filter(predicate), timeout({ first: ms })));
}

/** Resolves once the session reaches a state of this type. */
export function reach(session: SocketSession<unknown, unknown>, type: SessionState['type'], ms = 4000): Promise<SessionState> {
  return until(session.state$, (state) => state.type === type, ms);
}

/** Polls `check` until it holds; fails after `ms` with `what`. */
export async function eventually(check: () => boolean, what: string, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Records every state type the session goes through (no repeats by construction of state$). */
export function recordStates(session: SocketSession<unknown, unknown>): string[] {
  const types: string[] = [];
  session.state$.subscribe((state) => types.push(state.type));
  return types;
}
