// rxjs's documented `config.useDeprecatedNextContext` makes rxjs call a plain observer's methods
// on `Object.create(observer)`: the auth round's token observer must still reach the round.
import { expect } from 'chai';
import * as t from 'io-ts';
import { config as rxConfig, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { authenticate } from '../../lib/operators/authenticate.js';
import { fromWebSocket } from '../../lib/from-web-socket.js';
import { scriptedWebSocket, serverFrame, serverOpen } from '../../lib/testing/scripted-web-socket.js';

describe('authenticate with rxjs config.useDeprecatedNextContext', () => {
  let unhandled: unknown[];
  beforeEach(() => {
    unhandled = [];
    rxConfig.useDeprecatedNextContext = true;
    rxConfig.onUnhandledError = (error) => unhandled.push(error);
  });
  afterEach(() => {
    rxConfig.useDeprecatedNextContext = false;
    rxConfig.onUnhandledError = null;
  });

  it('still sends the auth frame and authenticates', () => {
    const scheduler = new TestScheduler((a, b) => {
      expect(a).to.deep.equal(b);
    });
    scheduler.run(({ cold, flush }) => {
      const { WebSocketCtor, sockets } = scriptedWebSocket(scheduler, () =>
        cold('-o--a', { o: serverOpen(), a: serverFrame({ type: 'auth_ok' }) }),
      );
      const seen: string[] = [];
      fromWebSocket('ws://localhost', { WebSocketCtor, scheduler })
        .pipe(
          authenticate({
            token: 'token-1234567890',
            message: (token) => ({ type: 'auth', token }),
            ack: t.type({ type: t.literal('auth_ok') }),
            timeout: 50,
            scheduler,
          }),
          map((event) => event.type),
        )
        .subscribe({ next: (type) => seen.push(type), error: (error: Error) => seen.push(`error ${error.name}`) });
      flush();
      expect(unhandled.map(String)).to.deep.equal([]);
      expect(sockets[0]!.sent.length).to.equal(1);
      expect(seen).to.include('authenticated');
    });
  });
});
