import type { SocketEvent } from '../../lib/socket-event.js';
import { expect } from 'chai';
import { map, NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConnectTimeoutError } from '../../lib/errors.js';
import { waitForOpen } from '../../lib/operators/wait-for-open.js';
import { serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { describeEvent, scriptedSource } from '../helpers/pipeline-marbles.js';

const names = { c: 'connecting', o: 'open' };

describe('waitForOpen', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('passes the open event and what follows when the socket opens in time', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('--o-h', { o: serverOpen(), h: serverFrame(1) }));
      expectObservable(source$.pipe(waitForOpen(3), map(describeEvent)), '^------!').toBe('c-o-h', { ...names, h: 'frame:1' });
    });
  });

  it('errors with ConnectTimeoutError and closes the socket when it does not open in time', () => {
    testScheduler.run(({ cold, expectObservable, time, flush }) => {
      const timeout = time('---|');
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('----o', { o: serverOpen() }));
      expectObservable(source$.pipe(waitForOpen({ timeout }), map(describeEvent))).toBe('c--#', names, new ConnectTimeoutError(3));
      flush();
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 3, code: 1000 });
    });
  });

  it('waits forever with timeout 0', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-------------o', { o: serverOpen() }));
      expectObservable(source$.pipe(waitForOpen(0), map(describeEvent)), '^--------------!').toBe('c------------o', names);
    });
  });

  it('holds app frames sent while connecting and writes them on open, never to a CONNECTING socket', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('--o', { o: serverOpen() }));
      source$.pipe(waitForOpen(5)).subscribe({
        next: (event) => {
          if (event.type === 'connecting') event.connection.send({ early: true });
        },
        error: () => undefined,
      });
      testScheduler.schedule(() => sockets[0]!.close(), 4);
      flush();
      expect(sockets[0]!.sent).to.deep.equal([{ at: 2, data: '{"early":true}' }]);
    });
  });

  it('cancels the deadline on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('------o', { o: serverOpen() }));
      expectObservable(source$.pipe(waitForOpen(3), map(describeEvent)), '^-!').toBe('c', names);
    });
  });

  it('passes source errors and never-ending sources through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const failure = new Error('upstream');
      expectObservable(cold<SocketEvent>('--#', undefined, failure).pipe(waitForOpen(0))).toBe('--#', undefined, failure);
      expectObservable(NEVER.pipe(waitForOpen(0)), '^--!').toBe('---');
    });
  });

  it('rejects a negative timeout when created', () => {
    expect(() => waitForOpen(-1)).to.throw(TypeError, /timeout/);
  });
});
