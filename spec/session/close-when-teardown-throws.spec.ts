import { expect } from 'chai';
import { config, finalize } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { ack, scriptedSession } from '../session/session-fixtures.js';

// close() completes the session's last layer itself: whatever that teardown throws (an app's
// finalize, a socket whose close throws) is reported as rxjs reports unhandled errors, and the
// session still closes: close() never throws and never stops half way.
describe('close() when completing the pipeline throws', () => {
  let unhandled: unknown[];
  let previous: typeof config.onUnhandledError;
  beforeEach(() => {
    unhandled = [];
    previous = config.onUnhandledError;
    config.onUnhandledError = (error) => unhandled.push(error);
  });
  afterEach(() => {
    config.onUnhandledError = previous;
  });

  it('an app finalize() that throws: close() does not throw, state$ reaches closed, invalid$ completes', () => {
    const testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      const seen: string[] = [];
      session.state$.subscribe((state) => seen.push(state.type));
      let invalidDone = false;
      session.invalid$.subscribe({ complete: () => (invalidDone = true) });
      session.messages$
        .pipe(
          finalize(() => {
            throw new Error('app teardown failed');
          }),
        )
        .subscribe({ error: () => undefined });
      testScheduler.flush();
      expect(session.state.type).to.equal('ready');

      expect(() => session.close(), 'close() threw').not.to.throw();
      expect(session.state.type, 'session.state').to.equal('closed');
      expect(seen.at(-1), 'last state$ value').to.equal('closed');
      expect(invalidDone, 'invalid$ completed').to.equal(true);
      // the app's error is not lost: rxjs reports it as unhandled (on a timer)
      testScheduler.flush();
      expect(unhandled.map((error) => String(error)).join(), 'reported').to.contain('app teardown failed');
    });
  });

  it('a WebSocket whose close() throws: close() still publishes closed', () => {
    const testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold }) => {
      const { session, sockets } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }), { grace: 0 });
      session.messages$.subscribe({ error: () => undefined });
      testScheduler.flush();
      expect(session.state.type).to.equal('ready');
      // e.g. a polyfill or wrapper that throws on close (a browser throws for some codes too)
      (sockets[0] as unknown as { close: () => void }).close = () => {
        throw new Error('socket close failed');
      };
      expect(() => session.close(), 'close() threw').not.to.throw();
      expect(session.state.type, 'session.state').to.equal('closed');
      testScheduler.flush();
      expect(unhandled.map((error) => String(error)).join(), 'reported').to.contain('socket close failed');
    });
  });
});
