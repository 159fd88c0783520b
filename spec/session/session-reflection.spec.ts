import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { serverOpen } from '../../lib/testing/scripted-web-socket.js';
import { observableMatcher } from '../helpers/observable-matcher.js';
import { ack, scriptedSession, send } from '../session/session-fixtures.js';

// The session is a class instance (memory), but reflects like the object literal it replaced: its
// own enumerable members are the SocketSession interface, state and pending are own live getters,
// and no internals show. Hooks and stores copy or wrap it.
describe('the session object, reflected', () => {
  it('a spread copy keeps state and pending (own getters are copied as values)', () => {
    const testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      session.messages$.subscribe({ error: () => undefined });
      void session.send(send('c-1'));
      const wrapped = { ...session, label: 'chat' };
      expect(wrapped.state, 'wrapped.state').to.deep.equal({ type: 'connecting' });
      expect(wrapped.pending, 'wrapped.pending').to.equal(1);
      session.close();
    });
  });

  it('own keys are the public SocketSession members, no internals', () => {
    const testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      expect(Object.keys(session).sort()).to.deep.equal(
        ['close', 'dropped$', 'invalid$', 'messages$', 'pending', 'send', 'state', 'state$'].sort(),
      );
      session.close();
    });
  });

  it('getters copied with Object.getOwnPropertyDescriptors stay live', () => {
    const testScheduler = new TestScheduler(observableMatcher);
    testScheduler.run(({ cold, flush }) => {
      const { session } = scriptedSession(testScheduler, () => cold('-o-a', { o: serverOpen(), a: ack }));
      const facade = Object.defineProperties({}, Object.getOwnPropertyDescriptors(session)) as typeof session;
      session.messages$.subscribe({ error: () => undefined });
      flush();
      expect(facade.state?.type, 'facade.state').to.equal('ready');
      facade.close();
      expect(session.state.type).to.equal('closed');
    });
  });
});
