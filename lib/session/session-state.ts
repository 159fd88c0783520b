import { BehaviorSubject, Observable, of } from 'rxjs';

/**
 * Where a session stands, as `state$` reports it. Tagged by `type` like the socket events:
 *
 * ```text
 *  idle ──first subscriber / send──▶ connecting ──open──▶ authenticating ──ack──▶ ready
 *   ▲                                    ▲                                        │  ▲
 *   │ last subscriber gone + grace       │                       expiry notice ─▶ reauthenticating
 *   │                                    └──── reconnecting {attempt, delay, cause} ◀── drop, drain
 *   └──────────────────────────  any state ──close() or fatal error──▶ closed {error?}
 * ```
 * Without `auth` a session goes from `connecting` straight to `ready` on open.
 */
export type SessionState =
  /** No socket: nobody subscribed yet, or the last subscriber left and the grace period ran out. */
  | { readonly type: 'idle' }
  /** A socket was created and is opening. */
  | { readonly type: 'connecting' }
  /** The socket is open and the auth frame was (or is about to be) sent; waiting for the ack. */
  | { readonly type: 'authenticating' }
  /** Acknowledged (or open, without auth): queued sends are flowing. */
  | { readonly type: 'ready' }
  /** Re-authenticating on the same socket; sends wait until the ack. */
  | { readonly type: 'reauthenticating'; readonly trigger: 'expired' | 'refresh' }
  /** The connection ended for a retryable reason; a new socket comes after `delay` ms. */
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly delay: number; readonly cause: unknown }
  /** Final: `close()` was called (no `error`) or the session failed for good (`error`). */
  | { readonly type: 'closed'; readonly error?: unknown };

/** The `type` of a {@link SessionState}. */
export type SessionStateType = SessionState['type'];

/**
 * Holds the current state and publishes changes: a current-value Observable that never repeats a
 * state, and that a late subscriber still reads after the session closed (then completes).
 */
export class StateCell {
  readonly #subject = new BehaviorSubject<SessionState>({ type: 'idle' });
  // The state last set: ahead of the subject while a change set from a state$ handler waits.
  // Plain, not `#`: `session.state` reads it, and apps may hold the session in a Proxy (Vue's
  // reactive(), a Pinia store), through which a `#` field read throws.
  private latest: SessionState = this.#subject.getValue();
  #waiting: SessionState[] | undefined;

  /** The current state, then every change; after `closed`, just `closed` and completion. */
  readonly state$: Observable<SessionState> = new Observable<SessionState>((subscriber) => {
    // What defer() + asObservable() did, without their closures and Observable (memory per session).
    const subject = this.#subject;
    (subject.closed || subject.isStopped ? of(subject.getValue()) : subject).subscribe(subscriber);
  });

  /** The current state. */
  get value(): SessionState {
    return this.latest;
  }

  /**
   * Moves to `next` unless it equals the current state, or the cell is already closed. A change
   * set while a state is being published (a handler that closes, sends or leaves) is published
   * after it, so every subscriber sees the states in the order they were set.
   */
  set(next: SessionState): void {
    if (this.latest.type === 'closed' || sameState(this.latest, next)) return;
    this.latest = next;
    if (this.#waiting) {
      this.#waiting.push(next);
      return;
    }
    const waiting: SessionState[] = [next];
    this.#waiting = waiting;
    try {
      for (let index = 0; index < waiting.length; index++) {
        const state = waiting[index]!;
        this.#subject.next(state);
        if (state.type === 'closed') this.#subject.complete();
      }
    } finally {
      this.#waiting = undefined;
    }
  }
}

/**
 * Whether two states are the same: their type and every field any state has. A field another type
 * lacks is `undefined` on both sides, so one comparison serves every type.
 */
function sameState(a: SessionState, b: SessionState): boolean {
  const x = a as Partial<Record<'attempt' | 'delay' | 'cause' | 'trigger' | 'error', unknown>>;
  const y = b as typeof x;
  return (
    a.type === b.type &&
    x.attempt === y.attempt &&
    x.delay === y.delay &&
    x.cause === y.cause &&
    x.trigger === y.trigger &&
    x.error === y.error
  );
}
