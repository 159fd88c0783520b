import { expect } from 'chai';
import { Observable, Subject, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { sharedWithGrace } from '../../lib/session/shared-with-grace.js';
import { observableMatcher } from '../helpers/observable-matcher.js';

// The session's messages$ is one socket however many subscribe, kept `grace` ms after the last
// leaves. Same semantics as rxjs share({ resetOnError: false, resetOnComplete: false,
// resetOnRefCountZero: () => timer(grace) }), which these compare against where it matters.

describe('sharedWithGrace', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('subscribes the source once for every subscriber, and each sees what arrives while it is there', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-|');
      const shared$ = sharedWithGrace(source, 0, testScheduler);
      expectObservable(shared$, '^------!').toBe('-a-b-c-');
      expectObservable(shared$, '--^------').toBe('---b-c-d-|');
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('grace 0: the source ends as soon as the last subscriber leaves; the next subscriber starts it again', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e');
      const shared$ = sharedWithGrace(source, 0, testScheduler);
      expectObservable(shared$, '^--!').toBe('-a-');
      expectObservable(shared$, '-----^---!').toBe('------a-b');
      expectSubscriptions(source.subscriptions).toBe(['^--!', '-----^---!']);
    });
  });

  it('grace n: the source lives n frames after the last subscriber left, and a subscriber within them keeps it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-e-f-g');
      const shared$ = sharedWithGrace(source, 5, testScheduler);
      expectObservable(shared$, '^--!').toBe('-a-');
      expectObservable(shared$, '------^--!').toBe('-------d-');
      // left at 9; nobody within 5 frames: the source ends at 14
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
  });

  it('grace Infinity: the source is never ended by subscribers leaving', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c|');
      const shared$ = sharedWithGrace(source, Infinity, testScheduler);
      expectObservable(shared$, '^-!').toBe('-a');
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('keeps an error: later subscribers get it at once and the source is not subscribed again', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-#', undefined, new Error('gone'));
      const shared$ = sharedWithGrace(source, 0, testScheduler);
      expectObservable(shared$).toBe('-a-#', undefined, new Error('gone'));
      expectObservable(shared$, '------^').toBe('------#', undefined, new Error('gone'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('keeps a completion the same way', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a|');
      const shared$ = sharedWithGrace(source, 0, testScheduler);
      expectObservable(shared$).toBe('-a|');
      expectObservable(shared$, '-----^').toBe('-----|');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('gives what the source emits while subscribing to the subscriber that started it', () => {
    const source = new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.next(2);
    });
    const seen: number[] = [];
    sharedWithGrace(source, 0, testScheduler)
      .subscribe((value) => seen.push(value))
      .unsubscribe();
    expect(seen).to.deep.equal([1, 2]);
  });

  it('ends the source when the only subscriber leaves while it subscribes (grace 0)', () => {
    let tornDown = 0;
    const source = new Observable<number>((subscriber) => {
      subscriber.next(1);
      return () => tornDown++;
    });
    const shared$ = sharedWithGrace(source, 0, testScheduler);
    const seen: number[] = [];
    shared$.pipe(take(1)).subscribe((value) => seen.push(value)); // leaves inside the source's subscribe
    expect(seen).to.deep.equal([1]);
    expect(tornDown).to.equal(1);
    shared$.pipe(take(1)).subscribe((value) => seen.push(value));
    expect(tornDown).to.equal(2); // started again, and ended again
  });

  it('ends a synchronous source as soon as the subscriber that started it leaves, as share() does', () => {
    const log: string[] = [];
    let subscriptions = 0;
    const source = new Observable<number>((subscriber) => {
      const number = ++subscriptions;
      log.push(`subscribe ${number}`);
      for (let value = 1; value <= 3 && !subscriber.closed; value++) subscriber.next(value);
      subscriber.complete();
      return () => log.push(`teardown ${number}`);
    });
    const shared$ = sharedWithGrace(source, 0, testScheduler);
    shared$.pipe(take(1)).subscribe({ next: (value) => log.push(`A ${value}`), complete: () => log.push('A complete') });
    shared$.pipe(take(1)).subscribe({ next: (value) => log.push(`B ${value}`), complete: () => log.push('B complete') });
    // What share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: true }) logs.
    expect(log).to.deep.equal(['subscribe 1', 'A 1', 'A complete', 'teardown 1', 'subscribe 2', 'B 1', 'B complete', 'teardown 2']);
  });

  it('during an emission: a subscriber that joins waits for the next value; one that leaves gets no more', () => {
    const source = new Subject<number>();
    const shared$ = sharedWithGrace(source, 0, testScheduler);
    const seen: string[] = [];
    let late: string[] | undefined;
    const second: { unsubscribe: () => void } = { unsubscribe: () => undefined };
    shared$.subscribe((value) => {
      seen.push(`first ${value}`);
      if (value === 1) {
        late = [];
        shared$.subscribe((lateValue) => late!.push(`late ${lateValue}`));
        second.unsubscribe();
      }
    });
    const subscription = shared$.subscribe((value) => seen.push(`second ${value}`));
    second.unsubscribe = () => subscription.unsubscribe();
    source.next(1);
    source.next(2);
    expect(seen).to.deep.equal(['first 1', 'first 2']);
    expect(late).to.deep.equal(['late 2']);
  });
});
