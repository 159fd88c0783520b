import type { SocketEvent } from '../../lib/socket-event.js';
import { expect } from 'chai';
import * as t from 'io-ts';
import { map, NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { HeartbeatTimeoutError } from '../../lib/errors.js';
import { authenticate } from '../../lib/operators/authenticate.js';
import { heartbeat, type HeartbeatConfig } from '../../lib/operators/heartbeat.js';
import { serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { describeEvent, scriptedSource } from '../helpers/pipeline-marbles.js';

const Pong = t.type({ type: t.literal('pong') });
const AuthOk = t.type({ type: t.literal('auth_ok') });
const pong = serverFrame({ type: 'pong' });
const hello = serverFrame({ type: 'message' });
const HELLO = `frame:${JSON.stringify({ type: 'message' })}`;

const clientPings = (overrides: Partial<HeartbeatConfig> = {}): HeartbeatConfig => ({
  interval: 4,
  timeout: 2,
  ping: () => ({ type: 'ping' }),
  pong: Pong,
  ...overrides,
});

describe('heartbeat', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler(observableMatcher);
  });

  it('pings every interval once ready and consumes the pongs', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      // open at 1; pings at 5, 9, 13; each answered one frame later
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o----p---p---p', { o: serverOpen(), p: pong }));
      const result$ = source$.pipe(heartbeat(clientPings()), map(describeEvent));
      expectObservable(result$, '^---------------!').toBe('co', { c: 'connecting', o: 'open' });
      flush();
      expect(sockets[0]!.sent.map((frame) => frame.at)).to.deep.equal([5, 9, 13]);
    });
  });

  it('errors with HeartbeatTimeoutError when a ping goes unanswered, and terminates the socket', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o----p', { o: serverOpen(), p: pong }));
      const result$ = source$.pipe(heartbeat(clientPings()), map(describeEvent));
      // pings at 5 (answered at 6) and 9 (unanswered): dead at 9 + 2
      expectObservable(result$).toBe('co---------#', { c: 'connecting', o: 'open' }, new HeartbeatTimeoutError('pong', 2, 'ready'));
      flush();
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 11, terminated: true });
    });
  });

  it('detects a half-open connection within interval + timeout of the last answer', () => {
    testScheduler.run(({ cold, expectObservable, time }) => {
      const interval = time('----|');
      const timeout = time('--|');
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const result$ = source$.pipe(heartbeat(clientPings({ interval, timeout })), map(describeEvent));
      expectObservable(result$).toBe('co-----#', { c: 'connecting', o: 'open' }, new HeartbeatTimeoutError('pong', 2, 'ready'));
    });
  });

  it('with a timeout longer than the interval, the deadline runs from the first unanswered ping', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // pings at 5 and 9; the pong at 10 meets the deadline of the ping at 5 (11)
      const late = scriptedSource(testScheduler, () => cold('-o--------p', { o: serverOpen(), p: pong }));
      expectObservable(late.source$.pipe(heartbeat(clientPings({ timeout: 6 })), map(describeEvent)), '^--------------!').toBe('co', {
        c: 'connecting',
        o: 'open',
      });
      // the same pong one frame after that deadline is too late
      const tooLate = scriptedSource(testScheduler, () => cold('-o----------p', { o: serverOpen(), p: pong }));
      expectObservable(tooLate.source$.pipe(heartbeat(clientPings({ timeout: 6 })), map(describeEvent))).toBe(
        'co---------#',
        { c: 'connecting', o: 'open' },
        new HeartbeatTimeoutError('pong', 6, 'ready'),
      );
    });
  });

  it("with expect 'any-frame', any inbound frame answers a ping and is passed on", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o----h', { o: serverOpen(), h: hello }));
      const result$ = source$.pipe(heartbeat(clientPings({ expect: 'any-frame' })), map(describeEvent));
      expectObservable(result$, '^--------!').toBe('co----h', { c: 'connecting', o: 'open', h: HELLO });
    });
  });

  it('only starts pinging after the auth ack, so no ping precedes the auth frame', () => {
    testScheduler.run(({ cold, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () =>
        cold('-o-----a---p', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }), p: pong }),
      );
      source$
        .pipe(
          authenticate({ token: 'x', message: (token) => ({ type: 'auth', token }), ack: AuthOk, timeout: 0 }),
          heartbeat(clientPings()),
        )
        .subscribe({ error: () => undefined })
        .add(() => undefined);
      testScheduler.schedule(() => sockets[0]?.close(), 14);
      flush();
      expect(sockets[0]!.sent.map((frame) => [frame.at, JSON.parse(frame.data).type])).to.deep.equal([
        [1, 'auth'],
        [11, 'ping'],
      ]);
    });
  });

  it('server-driven mode: errors when the server is silent longer than maxSilence', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-h-h', { o: serverOpen(), h: hello }));
      const result$ = source$.pipe(heartbeat({ interval: 0, maxSilence: 3 }), map(describeEvent));
      expectObservable(result$).toBe(
        'co-h-h--#',
        { c: 'connecting', o: 'open', h: HELLO },
        new HeartbeatTimeoutError('silence', 3, 'ready'),
      );
    });
  });

  it('consumes server pings and answers them when asked to', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () =>
        cold('-o-s-s', { o: serverOpen(), s: serverFrame({ type: 'ping' }) }),
      );
      const config: HeartbeatConfig = {
        interval: 0,
        maxSilence: 5,
        serverPing: t.type({ type: t.literal('ping') }),
        replyToServerPing: () => ({ type: 'pong' }),
      };
      expectObservable(source$.pipe(heartbeat(config), map(describeEvent)), '^-------!').toBe('co', { c: 'connecting', o: 'open' });
      flush();
      expect(sockets[0]!.sent.map((frame) => frame.at)).to.deep.equal([3, 5]);
    });
  });

  it('stops every timer on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const { source$, sockets } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      expectObservable(source$.pipe(heartbeat(clientPings()), map(describeEvent)), '^---!').toBe('co', { c: 'connecting', o: 'open' });
      flush();
      expect(sockets[0]!.sent).to.deep.equal([]);
      expect(sockets[0]!.closedByClient).to.deep.include({ at: 4, code: 1000, terminated: false });
    });
  });

  it('passes source errors and never-ending sources through untouched', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const failure = new Error('upstream');
      expectObservable(cold<SocketEvent>('--#', undefined, failure).pipe(heartbeat(clientPings()))).toBe('--#', undefined, failure);
      expectObservable(NEVER.pipe(heartbeat(clientPings())), '^--!').toBe('---');
    });
  });

  it('ends the stream with the error of a ping builder that throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { source$ } = scriptedSource(testScheduler, () => cold('-o', { o: serverOpen() }));
      const ping = () => {
        throw new RangeError('no ping');
      };
      expectObservable(source$.pipe(heartbeat(clientPings({ ping })), map(describeEvent))).toBe(
        'co---#',
        { c: 'connecting', o: 'open' },
        new RangeError('no ping'),
      );
    });
  });

  it('rejects nonsense configuration when created, naming the option', () => {
    expect(() => heartbeat({ interval: -1 })).to.throw(TypeError, /interval/);
    expect(() => heartbeat({ timeout: 0, ping: () => 1 })).to.throw(TypeError, /timeout/);
    expect(() => heartbeat({ interval: 5 })).to.throw(TypeError, /ping/);
    expect(() => heartbeat({ ping: () => 1, expect: 'pong' })).to.throw(TypeError, /pong/);
    expect(() => heartbeat({ interval: 0, maxSilence: -5 })).to.throw(TypeError, /maxSilence/);
  });

  it('consumes pongs and answers server pings with no timer running (interval 0, maxSilence 0)', () => {
    testScheduler.run(({ cold, expectObservable, flush }) => {
      const serverPing = serverFrame({ type: 'ping' });
      const { source$, sockets } = scriptedSource(testScheduler, () =>
        cold('-o-pqh', { o: serverOpen(), p: pong, q: serverPing, h: hello }),
      );
      const result$ = source$.pipe(
        heartbeat({
          interval: 0,
          maxSilence: 0,
          pong: Pong,
          serverPing: t.type({ type: t.literal('ping') }),
          replyToServerPing: () => ({ type: 'pong' }),
        }),
        map(describeEvent),
      );
      expectObservable(result$, '^------!').toBe('co---h', { c: 'connecting', o: 'open', h: HELLO });
      flush();
      expect(sockets[0]!.sent).to.deep.equal([{ at: 4, data: JSON.stringify({ type: 'pong' }) }]);
    });
  });

  it('errors with what a pong matcher threw', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const broken = new Error('matcher bug');
      const { source$ } = scriptedSource(testScheduler, () => cold('-o-p', { o: serverOpen(), p: pong }));
      const throwingPong = () => {
        throw broken;
      };
      const result$ = source$.pipe(heartbeat(clientPings({ pong: throwingPong })), map(describeEvent));
      expectObservable(result$).toBe('co-#', { c: 'connecting', o: 'open' }, broken);
    });
  });
});
