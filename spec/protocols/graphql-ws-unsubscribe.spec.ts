// Leaving an operation against the real graphql-ws server: the complete is queued behind its own
// subscribe (a resubscribe under the same id, as React StrictMode does, is never a second
// subscribe for a running id), and it is sent before leaving messages$ can close the socket.
import { expect } from 'chai';
import {
  graphqlSubscribe,
  graphqlWs,
  type GraphqlClientMessage,
  type GraphqlServerMessage,
  type GraphqlWsOptions,
} from '../../lib/protocols/graphql-ws.js';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import { startGraphqlWsServer, type GraphqlWsTestServer } from '../protocols/graphql-ws-server.js';
import { eventually, FAST_RETRY, NodeWebSocket } from '../protocols/protocol-helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graphqlSubscribe: leaving an operation', () => {
  let server: GraphqlWsTestServer;
  let session: SocketSession<GraphqlServerMessage, GraphqlClientMessage> | undefined;

  const open = (options: GraphqlWsOptions = {}, extra: { grace?: number } = {}) => {
    session = connect({
      url: server.url,
      WebSocketCtor: NodeWebSocket,
      ...graphqlWs({ connectionParams: () => ({ token: 'valid' }), ackTimeout: 1000, retry: FAST_RETRY, ...options }),
      ...extra,
    });
    return session;
  };
  const frames = (type: string) => server.received.filter((entry) => entry.frame.type === type);

  beforeEach(async () => {
    server = await startGraphqlWsServer();
  });
  afterEach(async () => {
    session?.close();
    session = undefined;
    await server.close();
  });

  it('unsubscribe + resubscribe under the same id before the ack: the complete goes out between the two subscribes (no fatal 4409)', async () => {
    // React StrictMode mounts, unmounts and re-mounts an effect synchronously: same fixed id.
    open();
    const query = { query: 'subscription { ticks(everyMs: 20) }' };
    const first = graphqlSubscribe(session!, query, { id: 'room-1' }).subscribe({ error: () => undefined });
    first.unsubscribe();
    const seen: unknown[] = [];
    let failed: unknown;
    const second = graphqlSubscribe(session!, query, { id: 'room-1' }).subscribe({
      next: (result) => seen.push(result.data),
      error: (error: unknown) => (failed = error),
    });
    await sleep(400);
    second.unsubscribe();
    expect(String(failed ?? ''), 'the second operation failed').to.equal('');
    const order = server.received
      .filter((entry) => entry.frame.type === 'subscribe' || entry.frame.type === 'complete')
      .map((entry) => entry.frame.type);
    expect(order.slice(0, 3), 'frames for room-1, in order').to.deep.equal(['subscribe', 'complete', 'subscribe']);
    expect(session!.state.type, 'the session is still alive').to.not.equal('closed');
    expect(seen.length, 'the second operation got results').to.be.greaterThan(0);
  });

  it('with grace 0, unsubscribing the last operation does not open a new socket just to send complete', async () => {
    open({}, { grace: 0 });
    const seen: unknown[] = [];
    const subscription = graphqlSubscribe(session!, { query: 'subscription { ticks(everyMs: 10) }' }, { id: 'last' }).subscribe((result) =>
      seen.push(result.data),
    );
    await eventually(() => seen.length >= 1, 'one tick');
    subscription.unsubscribe();
    await sleep(300);
    expect(frames('connection_init'), 'connection_init frames (one per socket)').to.have.length(1);
    expect(
      frames('complete').map((entry) => entry.socket),
      'complete sent on the socket that ran the operation',
    ).to.deep.equal([1]);
  });
});
