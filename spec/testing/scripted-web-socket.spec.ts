import { expect } from 'chai';
import { NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { WebSocket, WebSocketServer } from 'ws';
import { ScriptedWebSocket, serverOpen } from '../../lib/testing/scripted-web-socket.js';

// Marble tests trust the scripted socket to behave like a real one. These pin its close events
// to what `ws` itself does, so a marble test of an aborted connect sees what users will see.

type Observed = Array<string | { code: number; wasClean: boolean }>;

/** Records the events a real `ws` client fires when closed at `when`. */
async function realSocketEvents(when: 'connecting' | 'open'): Promise<Observed> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  const events: Observed = [];
  try {
    await new Promise<void>((resolve) => {
      socket.onerror = () => events.push('error');
      socket.onopen = () => {
        events.push('open');
        socket.close(1000, 'bye');
      };
      socket.onclose = (event) => {
        events.push({ code: event.code, wasClean: event.wasClean });
        resolve();
      };
      if (when === 'connecting') socket.close(1000, 'bye');
    });
    return events;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Records the events the scripted socket fires when closed at `when`. */
function scriptedSocketEvents(when: 'connecting' | 'open'): Observed {
  const scheduler = new TestScheduler(() => undefined);
  const events: Observed = [];
  scheduler.run(({ cold }) => {
    const socket = new ScriptedWebSocket('ws://localhost', scheduler);
    socket.onerror = () => events.push('error');
    socket.onopen = () => {
      events.push('open');
      socket.close(1000, 'bye');
    };
    socket.onclose = (event) => events.push({ code: event.code, wasClean: event.wasClean });
    socket.play(when === 'connecting' ? NEVER : cold('-o', { o: serverOpen() }));
    if (when === 'connecting') socket.close(1000, 'bye');
  });
  return events;
}

describe('ScriptedWebSocket: close events match a real ws client', () => {
  it('closed before it opened: an error, then an unclean 1006, as ws aborts the connect', async () => {
    const real = await realSocketEvents('connecting');
    expect(real).to.deep.equal(['error', { code: 1006, wasClean: false }]);
    expect(scriptedSocketEvents('connecting')).to.deep.equal(real);
  });

  it('closed once open: a clean close with the code the client gave', async () => {
    const real = await realSocketEvents('open');
    expect(real).to.deep.equal(['open', { code: 1000, wasClean: true }]);
    expect(scriptedSocketEvents('open')).to.deep.equal(real);
  });
});
