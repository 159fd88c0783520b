import { expect } from 'chai';
import sinon from 'sinon';
import { defer, NEVER, tap, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MAX_TIMER_MS, type Jitter } from '../../lib/backoff.js';
import { CLOSE_CODES, retryPolicy } from '../../lib/close-codes.js';
import {
  AuthRejectedError,
  ConnectionClosedError,
  DecodeError,
  HeartbeatTimeoutError,
  RetryExhaustedError,
  type ConnectionPhase,
} from '../../lib/errors.js';
import { retryWithBackoff, type RetryInfo, type RetryWithBackoffConfig } from '../../lib/operators/retry-with-backoff.js';
import { SocketConnection } from '../../lib/socket-connection.js';
import type { ReconnectingEvent, SocketEvent } from '../../lib/socket-event.js';
import type { WebSocketLike } from '../../lib/web-socket-like.js';
import { observableMatcher } from '../helpers/observable-matcher.js';

const drop = new ConnectionClosedError(1006, '', false, 'ready', 100);
const unauthorized = new ConnectionClosedError(4401, 'Unauthorized', true, 'authenticating', 3);

function reconnecting(attempt: number, delay: number, cause: unknown = drop): ReconnectingEvent {
  return { type: 'reconnecting', attempt, delay, cause };
}

/** Subscribes to each source in turn, the last one for every further subscription. */
function inTurn(...sources: Observable<SocketEvent>[]): Observable<SocketEvent> {
  let index = 0;
  return defer(() => sources[Math.min(index++, sources.length - 1)]!);
}

describe('retryWithBackoff', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });
  afterEach(() => {
    sinon.restore();
  });

  /** Small, deterministic timings: 10, 20, 40 ... */
  const linear = (overrides: RetryWithBackoffConfig = {}): RetryWithBackoffConfig => ({
    initialDelay: 10,
    jitter: 'none',
    maxDelay: 1000,
    scheduler: testScheduler,
    ...overrides,
  });

  function connection(phase: ConnectionPhase): SocketConnection {
    const socket: WebSocketLike = { readyState: 1, send() {}, close() {}, onopen: null, onmessage: null, onclose: null, onerror: null };
    const result = new SocketConnection(socket, testScheduler);
    result.phase = phase;
    return result;
  }

  describe('delays', () => {
    it("waits initialDelay, then doubles, with jitter 'none'", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, time }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const result = source.pipe(retryWithBackoff(linear({ initialDelay: time('----------|'), maxAttempts: 3 })));
        expectObservable(result).toBe(
          '--a 9ms --b 19ms --c 39ms --#',
          { a: reconnecting(1, 10), b: reconnecting(2, 20), c: reconnecting(3, 40) },
          new RetryExhaustedError(3, 76, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!', '76ms ^-!']);
      });
    });

    it('uses 1000, 2000, 4000 ... capped at 30000 by default', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const result = source.pipe(retryWithBackoff({ jitter: 'none', maxAttempts: 7 }));
        expectObservable(result).toBe(
          '--a 999ms --b 1999ms --c 3999ms --d 7999ms --e 15999ms --f 29999ms --g 29999ms --#',
          {
            a: reconnecting(1, 1000),
            b: reconnecting(2, 2000),
            c: reconnecting(3, 4000),
            d: reconnecting(4, 8000),
            e: reconnecting(5, 16_000),
            f: reconnecting(6, 30_000),
            g: reconnecting(7, 30_000),
          },
          new RetryExhaustedError(7, 91_014, drop),
        );
        expectSubscriptions(source.subscriptions).toBe([
          '^-!',
          '1002ms ^-!',
          '3004ms ^-!',
          '7006ms ^-!',
          '15008ms ^-!',
          '31010ms ^-!',
          '61012ms ^-!',
          '91014ms ^-!',
        ]);
      });
    });

    it("draws each delay afresh with jitter 'full' (random * cap)", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const random = sinon.stub<[], number>();
        random.onCall(0).returns(0.5).onCall(1).returns(0).onCall(2).returns(1);
        const source = cold<SocketEvent>('--#', undefined, drop);
        const result = source.pipe(retryWithBackoff(linear({ jitter: 'full', random, maxAttempts: 3 })));
        // caps 10, 20, 40 -> 5, 0 (resubscribes in the same frame), 40
        expectObservable(result).toBe(
          '--a 4ms --b-c 39ms --#',
          { a: reconnecting(1, 5), b: reconnecting(2, 0), c: reconnecting(3, 40) },
          new RetryExhaustedError(3, 51, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '7ms ^-!', '9ms ^-!', '51ms ^-!']);
      });
    });

    it("feeds each delay into the next with jitter 'decorrelated'", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const result = source.pipe(retryWithBackoff(linear({ jitter: 'decorrelated', random: () => 0.5, maxAttempts: 3 })));
        // 10 + 0.5 * (30 - 10) = 20; 10 + 0.5 * (60 - 10) = 35; 10 + 0.5 * (105 - 10) = 57.5 -> 58
        expectObservable(result).toBe(
          '--a 19ms --b 34ms --c 57ms --#',
          { a: reconnecting(1, 20), b: reconnecting(2, 35), c: reconnecting(3, 58) },
          new RetryExhaustedError(3, 119, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '22ms ^-!', '59ms ^-!', '119ms ^-!']);
      });
    });

    it('takes a number as maxAttempts, with the default delays and Math.random', () => {
      sinon.stub(Math, 'random').returns(0.5);
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        // full jitter of 1000 and 2000 with random 0.5
        expectObservable(source.pipe(retryWithBackoff(2))).toBe(
          '--a 499ms --b 999ms --#',
          { a: reconnecting(1, 500), b: reconnecting(2, 1000) },
          new RetryExhaustedError(2, 1504, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '502ms ^-!', '1504ms ^-!']);
      });
    });
  });

  describe('the timer limit (2^31 - 1 ms)', () => {
    it('waits maxDelay = 2147483647 ms at most, however far the exponential goes, and never less', () => {
      const subscribedAt: number[] = [];
      const delays: number[] = [];
      const source$ = defer(() => {
        subscribedAt.push(testScheduler.now());
        return throwError(() => drop);
      });
      const errors: unknown[] = [];
      testScheduler.run(() => {
        const config = { initialDelay: 2_000_000_000, multiplier: 1e6, maxDelay: MAX_TIMER_MS, jitter: 'none', maxAttempts: 3 } as const;
        source$
          .pipe(retryWithBackoff({ ...config, scheduler: testScheduler, onRetry: ({ delay }) => delays.push(delay) }))
          .subscribe({ error: (error: unknown) => errors.push(error) });
      });
      expect(errors[0]).to.be.instanceOf(RetryExhaustedError);
      expect(delays).to.deep.equal([2_000_000_000, MAX_TIMER_MS, MAX_TIMER_MS]);
      expect(subscribedAt).to.deep.equal([0, 2_000_000_000, 2_000_000_000 + MAX_TIMER_MS, 2_000_000_000 + 2 * MAX_TIMER_MS]);
    });

    it('never computes a delay over maxDelay with any jitter, for any attempt', () => {
      for (const jitter of ['full', 'equal', 'decorrelated', 'none'] as const) {
        const delays: number[] = [];
        testScheduler.run(() => {
          let failures = 0;
          const source$ = defer(() => (++failures <= 60 ? throwError(() => drop) : NEVER));
          source$
            .pipe(
              retryWithBackoff({
                initialDelay: MAX_TIMER_MS,
                maxDelay: MAX_TIMER_MS,
                multiplier: 10,
                jitter,
                random: () => 0.999_999,
                scheduler: testScheduler,
                onRetry: ({ delay }) => delays.push(delay),
              }),
            )
            .subscribe();
        });
        expect(delays, jitter).to.have.length(60);
        expect(Math.max(...delays), jitter).to.be.at.most(MAX_TIMER_MS);
      }
    });
  });

  describe('reconnecting events', () => {
    it('carry the attempt, the delay and the error that ended each connection, after onRetry', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const silent = new HeartbeatTimeoutError('pong', 5, 'ready');
        const first = cold<SocketEvent>('--#', undefined, drop);
        const second = cold<SocketEvent>('-#', undefined, silent);
        const third = cold<SocketEvent>('-#', undefined, unauthorized);
        const log: string[] = [];
        const onRetry = sinon.spy((info: RetryInfo) => {
          log.push(`onRetry ${info.attempt}`);
        });
        const result = inTurn(first, second, third).pipe(
          retryWithBackoff(linear({ onRetry })),
          tap((event) => log.push(`event ${event.type === 'reconnecting' ? event.attempt : event.type}`)),
        );
        // 4401 is fatal: it ends the stream unchanged, after two reconnects
        expectObservable(result).toBe('--a 9ms -b 19ms -#', { a: reconnecting(1, 10, drop), b: reconnecting(2, 20, silent) }, unauthorized);
        expectSubscriptions(first.subscriptions).toBe('^-!');
        expectSubscriptions(second.subscriptions).toBe('12ms ^!');
        expectSubscriptions(third.subscriptions).toBe('33ms ^!');
        flush();
        expect(onRetry.args.map(([info]) => info)).to.deep.equal([
          { attempt: 1, delay: 10, cause: drop },
          { attempt: 2, delay: 20, cause: silent },
        ]);
        expect(onRetry.firstCall.args[0].cause).to.equal(drop);
        expect(log).to.deep.equal(['onRetry 1', 'event 1', 'onRetry 2', 'event 2']);
      });
    });

    it('retry the first connect too, and pass every other event through', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const ready = connection('ready');
        const refused = new ConnectionClosedError(1006, '', false, 'connecting', undefined);
        const values = { c: { type: 'connecting', connection: ready }, o: { type: 'open', connection: ready } } as const;
        const first = cold<SocketEvent>('c#', values, refused);
        const second = cold<SocketEvent>('co', values);
        const result = inTurn(first, second).pipe(retryWithBackoff(linear()));
        expectObservable(result, '^ 19ms !').toBe('cr 9ms co', { ...values, r: reconnecting(1, 10, refused) });
        expectSubscriptions(first.subscriptions).toBe('^!');
        expectSubscriptions(second.subscriptions).toBe('11ms ^ 8ms !');
      });
    });

    it('retry an error thrown on subscribe, without recursion', () => {
      testScheduler.run(({ expectObservable, flush }) => {
        let subscriptions = 0;
        const source = defer(() => {
          subscriptions++;
          return throwError(() => drop);
        });
        expectObservable(source.pipe(retryWithBackoff(linear({ initialDelay: 0, maxAttempts: 3 })))).toBe(
          '(abc#)',
          { a: reconnecting(1, 0), b: reconnecting(2, 0), c: reconnecting(3, 0) },
          new RetryExhaustedError(3, 0, drop),
        );
        flush();
        expect(subscriptions).to.equal(4);
      });
    });
  });

  describe('shouldRetry', () => {
    const fatal: Array<[string, unknown]> = [
      ['a close with 4401 (unauthorized)', unauthorized],
      ['a close with 1008 (policy violation)', new ConnectionClosedError(1008, 'origin', true, 'connecting', 1)],
      ['an explicit auth reject', new AuthRejectedError('token revoked', 'authenticating')],
      ['a decode error', new DecodeError('json', [], '{', 1)],
      ['a bug in user code', new TypeError('cannot read properties of undefined')],
    ];
    for (const [what, error] of fatal) {
      it(`does not retry ${what}, and errors with it unchanged`, () => {
        testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
          const source = cold<SocketEvent>('--#', undefined, error);
          let seen: unknown;
          const result = source.pipe(retryWithBackoff(linear()), tap({ error: (caught: unknown) => (seen = caught) }));
          expectObservable(result).toBe('--#', undefined, error);
          expectSubscriptions(source.subscriptions).toBe('^-!');
          flush();
          expect(seen).to.equal(error);
        });
      });
    }

    it('can be overridden with retryPolicy to retry 4401', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, unauthorized);
        const shouldRetry = retryPolicy({ ...CLOSE_CODES, 4401: 'retry' });
        const result = source.pipe(retryWithBackoff(linear({ shouldRetry, maxAttempts: 1 })));
        expectObservable(result).toBe(
          '--a 9ms --#',
          { a: reconnecting(1, 10, unauthorized) },
          new RetryExhaustedError(1, 12, unauthorized),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!']);
      });
    });

    it('can be overridden to make a normally retried error fatal', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const shouldRetry = sinon.spy((error: unknown) => !(error instanceof ConnectionClosedError && error.closeCode === 1006));
        expectObservable(source.pipe(retryWithBackoff(linear({ shouldRetry })))).toBe('--#', undefined, drop);
        expectSubscriptions(source.subscriptions).toBe('^-!');
        flush();
        expect(shouldRetry.args).to.deep.equal([[drop]]);
        expect(shouldRetry.firstCall.args[0]).to.equal(drop);
      });
    });

    it('errors with what it throws', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const shouldRetry = () => {
          throw new RangeError('policy table corrupt');
        };
        expectObservable(source.pipe(retryWithBackoff(linear({ shouldRetry })))).toBe(
          '--#',
          undefined,
          new RangeError('policy table corrupt'),
        );
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });
  });

  describe('giving up', () => {
    it('errors with RetryExhaustedError carrying attempts, elapsed ms and the last failure after maxAttempts', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        let seen: unknown;
        const result = source.pipe(retryWithBackoff(linear({ maxAttempts: 2 })), tap({ error: (caught: unknown) => (seen = caught) }));
        expectObservable(result).toBe(
          '--a 9ms --b 19ms --#',
          { a: reconnecting(1, 10), b: reconnecting(2, 20) },
          new RetryExhaustedError(2, 34, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
        flush();
        expect(seen).to.be.instanceOf(RetryExhaustedError);
        const exhausted = seen as RetryExhaustedError;
        expect([exhausted.attempts, exhausted.elapsedMs, exhausted.cause, exhausted.code]).to.deep.equal([2, 34, drop, 'RETRY_EXHAUSTED']);
        expect(exhausted.cause).to.equal(drop);
      });
    });

    it('never reconnects with maxAttempts 0', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        expectObservable(source.pipe(retryWithBackoff(0))).toBe('--#', undefined, new RetryExhaustedError(0, 0, drop));
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });

    it('gives up on a failure more than maxElapsed ms after the first failure of the outage', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, time }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        // failures at 2, 14 (12 ms in) and 36 (34 ms in)
        const result = source.pipe(retryWithBackoff(linear({ maxElapsed: time('------------------------------|') })));
        expectObservable(result).toBe(
          '--a 9ms --b 19ms --#',
          { a: reconnecting(1, 10), b: reconnecting(2, 20) },
          new RetryExhaustedError(2, 34, drop),
        );
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
      });
    });

    it('still retries a failure exactly maxElapsed ms after the first one', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const result = source.pipe(retryWithBackoff(linear({ maxElapsed: 34 })));
        expectObservable(result, '^ 40ms !').toBe('--a 9ms --b 19ms --c', {
          a: reconnecting(1, 10),
          b: reconnecting(2, 20),
          c: reconnecting(3, 40),
        });
        expectSubscriptions(source.subscriptions).toBe(['^-!', '12ms ^-!', '34ms ^-!']);
      });
    });
  });

  describe('resetAfter', () => {
    it('starts counting at 1 again once the session was ready (open in phase ready) for resetAfter', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, time }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        // ready at 1, fails 7 ms later
        const source = cold<SocketEvent>('-o------#', { o }, drop);
        const result = source.pipe(retryWithBackoff(linear({ resetAfter: time('-----|') })));
        expectObservable(result, '^ 49ms !').toBe('-o------r 9ms -o------r 9ms -o------r', { o, r: reconnecting(1, 10) });
        expectSubscriptions(source.subscriptions).toBe(['^-------!', '18ms ^-------!', '36ms ^-------!']);
      });
    });

    it('keeps counting when the session fails before it was ready for resetAfter', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        const source = cold<SocketEvent>('-o------#', { o }, drop);
        const result = source.pipe(retryWithBackoff(linear({ resetAfter: 8 })));
        expectObservable(result, '^ 59ms !').toBe('-o------a 9ms -o------b 19ms -o------c', {
          o,
          a: reconnecting(1, 10),
          b: reconnecting(2, 20),
          c: reconnecting(3, 40),
        });
        expectSubscriptions(source.subscriptions).toBe(['^-------!', '18ms ^-------!', '46ms ^-------!']);
      });
    });

    it('counts an authenticated event as ready', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const authenticating = connection('authenticating');
        const values = {
          o: { type: 'open', connection: authenticating },
          A: { type: 'authenticated', connection: authenticating, reauth: false },
        } as const;
        // acknowledged at 2, fails 7 ms later
        const source = cold<SocketEvent>('-oA------#', values, drop);
        const result = source.pipe(retryWithBackoff(linear({ resetAfter: 5 })));
        expectObservable(result, '^ 34ms !').toBe('-oA------r 9ms -oA------r', { ...values, r: reconnecting(1, 10) });
      });
    });

    it('does not count an open event while authenticating as ready', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const o = { type: 'open', connection: connection('authenticating') } as const;
        const source = cold<SocketEvent>('-o-------#', { o }, drop);
        const result = source.pipe(retryWithBackoff(linear({ resetAfter: 5 })));
        expectObservable(result, '^ 34ms !').toBe('-o-------a 9ms -o-------b', { o, a: reconnecting(1, 10), b: reconnecting(2, 20) });
      });
    });

    it('restarts decorrelated jitter from initialDelay too', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        const source = cold<SocketEvent>('-o------#', { o }, drop);
        const result = source.pipe(retryWithBackoff(linear({ jitter: 'decorrelated', random: () => 0.5, resetAfter: 5 })));
        // 10 + 0.5 * (30 - 10) = 20 both times; without the reset the second would be 10 + 0.5 * (60 - 10) = 35
        expectObservable(result, '^ 39ms !').toBe('-o------r 19ms -o------r', { o, r: reconnecting(1, 20) });
      });
    });

    it('restarts the maxElapsed clock too', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        // failures at 8 and 26: 18 ms apart, more than maxElapsed, but the session was ready in between
        const source = cold<SocketEvent>('-o------#', { o }, drop);
        const withReset = source.pipe(retryWithBackoff(linear({ resetAfter: 5, maxElapsed: 15 })));
        const withoutReset = source.pipe(retryWithBackoff(linear({ resetAfter: Infinity, maxElapsed: 15 })));
        expectObservable(withReset, '^ 29ms !').toBe('-o------r 9ms -o------r', { o, r: reconnecting(1, 10) });
        expectObservable(withoutReset).toBe('-o------r 9ms -o------#', { o, r: reconnecting(1, 10) }, new RetryExhaustedError(1, 18, drop));
      });
    });
  });

  describe('completion and unsubscription', () => {
    it('completes when the source completes', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        const source = cold<SocketEvent>('--o--|', { o });
        expectObservable(source.pipe(retryWithBackoff(linear()))).toBe('--o--|', { o });
        expectSubscriptions(source.subscriptions).toBe('^----!');
      });
    });

    it('completes when a resubscribed source completes', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        const first = cold<SocketEvent>('-#', undefined, drop);
        const second = cold<SocketEvent>('-o|', { o });
        expectObservable(inTurn(first, second).pipe(retryWithBackoff(linear()))).toBe('-r 9ms -o|', { o, r: reconnecting(1, 10) });
        expectSubscriptions(first.subscriptions).toBe('^!');
        expectSubscriptions(second.subscriptions).toBe('11ms ^-!');
      });
    });

    it('emits nothing and keeps one subscription for a source that never ends', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('-');
        expectObservable(source.pipe(retryWithBackoff(linear())), '^--!').toBe('');
        expectSubscriptions(source.subscriptions).toBe('^--!');
        expectObservable(NEVER.pipe(retryWithBackoff(linear())), '^--!').toBe('---');
      });
    });

    it('tears down the live source subscription and resubscribes no more', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold<SocketEvent>('-----#', undefined, drop);
        expectObservable(source.pipe(retryWithBackoff(linear())), '^ 16ms !').toBe('-----r', { r: reconnecting(1, 10) });
        expectSubscriptions(source.subscriptions).toBe(['^----!', '15ms ^-!']);
        flush();
        expect(testScheduler.frame, 'virtual time ends at the unsubscribe').to.equal(17);
      });
    });

    it('cancels a pending delay', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        expectObservable(source.pipe(retryWithBackoff(linear())), '^ 5ms !').toBe('--r', { r: reconnecting(1, 10) });
        expectSubscriptions(source.subscriptions).toBe('^-!');
        flush();
        expect(testScheduler.frame, 'no timer left at 12').to.equal(6);
      });
    });

    it('cancels a pending resetAfter timer', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions, flush }) => {
        const o = { type: 'open', connection: connection('ready') } as const;
        const first = cold<SocketEvent>('--#', undefined, drop);
        const second = cold<SocketEvent>('-o', { o });
        const result = inTurn(first, second).pipe(retryWithBackoff(linear({ resetAfter: 100 })));
        expectObservable(result, '^ 19ms !').toBe('--r 9ms -o', { o, r: reconnecting(1, 10) });
        expectSubscriptions(second.subscriptions).toBe('12ms ^ 7ms !');
        flush();
        expect(testScheduler.frame, 'no timer left at 113').to.equal(20);
      });
    });

    it('schedules nothing when the consumer unsubscribes on the reconnecting event', () => {
      testScheduler.run(({ cold, expectSubscriptions, flush }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const seen: SocketEvent[] = [];
        const subscription = source.pipe(retryWithBackoff(linear())).subscribe((event) => {
          seen.push(event);
          if (event.type === 'reconnecting') subscription.unsubscribe();
        });
        expectSubscriptions(source.subscriptions).toBe('^-!');
        flush();
        expect(seen).to.deep.equal([reconnecting(1, 10)]);
        expect(testScheduler.frame, 'no timer left at 12').to.equal(2);
      });
    });
  });

  describe('onRetry', () => {
    it('errors the stream with what it throws, without reconnecting', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold<SocketEvent>('--#', undefined, drop);
        const onRetry = () => {
          throw new Error('metrics backend down');
        };
        expectObservable(source.pipe(retryWithBackoff(linear({ onRetry })))).toBe('--#', undefined, new Error('metrics backend down'));
        expectSubscriptions(source.subscriptions).toBe('^-!');
      });
    });
  });

  describe('configuration', () => {
    const bad: Array<[string, RetryWithBackoffConfig | number, string]> = [
      ['a negative initialDelay', { initialDelay: -1 }, 'initialDelay'],
      ['a NaN initialDelay', { initialDelay: Number.NaN }, 'initialDelay'],
      ['a negative maxDelay', { maxDelay: -1 }, 'maxDelay'],
      ['a NaN maxDelay', { maxDelay: Number.NaN }, 'maxDelay'],
      ['an infinite maxDelay', { maxDelay: Infinity }, 'maxDelay'],
      ['a maxDelay under initialDelay', { initialDelay: 100, maxDelay: 50 }, 'maxDelay'],
      ['a multiplier under 1', { multiplier: 0.5 }, 'multiplier'],
      ['a NaN multiplier', { multiplier: Number.NaN }, 'multiplier'],
      ['a negative maxAttempts', { maxAttempts: -1 }, 'maxAttempts'],
      ['a negative maxAttempts shorthand', -1, 'maxAttempts'],
      ['a NaN maxAttempts shorthand', Number.NaN, 'maxAttempts'],
      ['an unknown jitter', { jitter: 'random' as Jitter }, 'jitter'],
      ['a negative maxElapsed', { maxElapsed: -1 }, 'maxElapsed'],
      ['a NaN resetAfter', { resetAfter: Number.NaN }, 'resetAfter'],
      // Above 2^31 - 1 ms a runtime fires the timer at once: a reconnect loop, or an instant reset.
      ['an initialDelay over the timer limit', { initialDelay: MAX_TIMER_MS + 1, maxDelay: MAX_TIMER_MS + 1 }, 'initialDelay'],
      ['an infinite initialDelay', { initialDelay: Infinity }, 'initialDelay'],
      ['a maxDelay over the timer limit', { maxDelay: MAX_TIMER_MS + 1 }, 'maxDelay'],
      ['a maxDelay of 30 days', { maxDelay: 30 * 24 * 3_600_000 }, 'maxDelay'],
      ['a resetAfter over the timer limit', { resetAfter: MAX_TIMER_MS + 1 }, 'resetAfter'],
      ['a random that is not a function', { random: 0.5 as unknown as () => number }, 'random'],
      ['a shouldRetry that is not a function', { shouldRetry: true as unknown as () => boolean }, 'shouldRetry'],
      ['an onRetry that is not a function', { onRetry: 'log' as unknown as () => void }, 'onRetry'],
    ];
    for (const [what, config, option] of bad) {
      it(`rejects ${what} when created, naming ${option}`, () => {
        expect(() => retryWithBackoff(config)).to.throw(TypeError, new RegExp(`^retryWithBackoff: ${option} `));
      });
    }

    it('names the option and the limit in the message', () => {
      expect(() => retryWithBackoff({ maxDelay: 3e9 })).to.throw(
        TypeError,
        'retryWithBackoff: maxDelay must be a number of ms above 0 and at most 2147483647, or 0 (no delay), got 3000000000',
      );
      expect(() => retryWithBackoff({ resetAfter: 3e9 })).to.throw(TypeError, /or Infinity \(never reset\), got 3000000000$/);
    });

    it('accepts the limits', () => {
      const good: Array<RetryWithBackoffConfig | number | undefined> = [
        undefined,
        {},
        0,
        Infinity,
        { initialDelay: 0, maxDelay: 0, multiplier: 1, maxAttempts: Infinity, maxElapsed: 0, resetAfter: Infinity },
        { initialDelay: MAX_TIMER_MS, maxDelay: MAX_TIMER_MS, resetAfter: MAX_TIMER_MS, maxElapsed: Infinity },
        ...(['full', 'equal', 'decorrelated', 'none'] as const).map((jitter) => ({ jitter })),
      ];
      for (const config of good) {
        expect(retryWithBackoff(config), JSON.stringify(config)).to.be.a('function');
      }
    });
  });
});
