import { expect } from 'chai';
import * as t from 'io-ts';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { retryPolicy } from '../../lib/close-codes.js';
import { AuthClosedError, ConnectionClosedError, DecodeError } from '../../lib/errors.js';
import { GraphqlOperationError } from '../../lib/protocols/errors.js';
import {
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  GRAPHQL_WS_CLOSE_CODES,
  GraphqlErrorMessage,
  GraphqlNextMessage,
  graphqlSubscribe,
  graphqlWs,
  type GraphqlClientMessage,
  type GraphqlServerMessage,
  type GraphqlWsOptions,
} from '../../lib/protocols/graphql-ws.js';
import { connect, type SocketSession } from '../../lib/session/connect.js';
import { startGraphqlWsServer, type GraphqlWsTestServer } from './graphql-ws-server.js';
import { eventually, FAST_RETRY, NodeWebSocket, reach, recordStates } from './protocol-helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graphqlWs preset (against the real graphql-ws server)', () => {
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

  it('offers the subprotocol, sends connection_init with the params, and is ready on connection_ack', async () => {
    const states = recordStates(open());
    session!.messages$.subscribe();
    await reach(session!, 'ready');
    expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'ready']);
    expect(server.connectionParams).to.deep.equal([{ token: 'valid' }]);
    expect(server.received[0]!.frame).to.deep.equal({ type: 'connection_init', payload: { token: 'valid' } });
    expect(server.sockets()[0]!.protocol).to.equal(GRAPHQL_TRANSPORT_WS_PROTOCOL);
  });

  it('runs a subscription: subscribe after the ack, typed next payloads, then complete', async () => {
    const results = await lastValueFrom(
      graphqlSubscribe(
        open(),
        { query: 'subscription ($to: Int!) { count(to: $to) }', variables: { to: 3 } },
        { data: t.type({ count: t.number }) },
      ).pipe(toArray()),
    );
    expect(results.map((result) => result.data?.count)).to.deep.equal([1, 2, 3]);
    const [init, subscribe] = server.received.map((entry) => entry.frame.type);
    expect([init, subscribe]).to.deep.equal(['connection_init', 'subscribe']);
  });

  it('runs a query the same way: one result, then complete', async () => {
    const results = await lastValueFrom(graphqlSubscribe<{ hello: string }>(open(), { query: '{ hello }' }).pipe(toArray()));
    expect(results).to.deep.equal([{ data: { hello: 'world' } }]);
  });

  it('errors the operation with GraphqlOperationError on an `error` message; the session stays ready', async () => {
    const error = await lastValueFrom(graphqlSubscribe(open(), { query: 'subscription { nope }' })).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(GraphqlOperationError);
    expect((error as GraphqlOperationError).errors[0]!.message).to.match(/nope/);
    expect((error as Error).message).to.match(/refused operation .*nope.*check the query/);
    expect(session!.state.type).to.equal('ready');
  });

  it('errors the operation with a DecodeError when data does not match the codec', async () => {
    const error = await lastValueFrom(
      graphqlSubscribe(open(), { query: 'subscription { count(to: 2) }' }, { data: t.type({ count: t.string }) }),
    ).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(DecodeError);
    expect((error as DecodeError).issues[0]).to.match(/at \.count: expected string, got 1/);
  });

  it('accepts what graphql-ws itself accepts: null locations, path and extensions (older graphql-js), null errors', () => {
    const error = { message: 'Cannot query field', locations: null, path: null, extensions: null };
    expect(GraphqlErrorMessage.is({ id: '1', type: 'error', payload: [error] })).to.equal(true);
    expect(GraphqlNextMessage.is({ id: '1', type: 'next', payload: { data: { a: 1 }, errors: null, extensions: null } })).to.equal(true);
    expect(GraphqlNextMessage.is({ id: '1', type: 'next', payload: { data: null, errors: [error] } })).to.equal(true);
    expect(GraphqlErrorMessage.is({ id: '1', type: 'error', payload: [{ locations: [] }] }), 'message stays required').to.equal(false);
  });

  it('sends complete when the subscriber leaves early', async () => {
    await firstValueFrom(
      graphqlSubscribe(open(), { query: 'subscription { ticks(everyMs: 10) }' }, { id: 'early' }).pipe(take(2), toArray()),
    );
    await eventually(() => frames('complete').length === 1, 'the complete frame');
    expect(frames('complete')[0]!.frame).to.deep.equal({ id: 'early', type: 'complete' });
  });

  it('subscribes again under the same id on the new socket after a reconnect', async () => {
    const seen: number[] = [];
    const subscription = graphqlSubscribe<{ ticks: number }>(
      open(),
      { query: 'subscription { ticks(everyMs: 15) }' },
      { id: 'ticker' },
    ).subscribe((result) => seen.push(result.data!.ticks));
    await eventually(() => seen.length >= 2, 'two ticks');
    for (const socket of server.sockets()) socket.terminate();
    await reach(session!, 'reconnecting');
    await reach(session!, 'ready');
    const before = seen.length;
    await eventually(() => seen.length >= before + 2, 'ticks from the new socket');
    subscription.unsubscribe();
    expect(frames('subscribe').map((entry) => [entry.socket, entry.frame.id])).to.deep.equal([
      [1, 'ticker'],
      [2, 'ticker'],
    ]);
    // the new server-side generator starts at 1 again: proof the results come from the second subscribe
    expect(seen.slice(before)).to.include(1);
  });

  it('ends the session on 4409 (two operations with one id): a client bug, fatal', async () => {
    open();
    const first = graphqlSubscribe(session!, { query: 'subscription { ticks(everyMs: 50) }' }, { id: 'same' }).subscribe({
      error: () => undefined,
    });
    const second = graphqlSubscribe(session!, { query: 'subscription { ticks(everyMs: 50) }' }, { id: 'same' }).subscribe({
      error: () => undefined,
    });
    const closed = await reach(session!, 'closed');
    const error = (closed as { error?: unknown }).error as ConnectionClosedError;
    expect(error).to.be.instanceOf(ConnectionClosedError);
    expect(error.closeCode).to.equal(4409);
    first.unsubscribe();
    second.unsubscribe();
  });

  it('retries a 4403 from onConnect once with fresh params, then ends with AuthClosedError', async () => {
    const states = recordStates(open({ connectionParams: () => ({ token: 'expired' }) }));
    session!.messages$.subscribe({ error: () => undefined });
    const closed = await reach(session!, 'closed');
    const error = (closed as { error?: unknown }).error as AuthClosedError;
    expect(error).to.be.instanceOf(AuthClosedError);
    expect(error.closeCode).to.equal(4403);
    expect(server.connectionParams).to.have.length(2);
    expect(states).to.deep.equal(['idle', 'connecting', 'authenticating', 'reconnecting', 'connecting', 'authenticating', 'closed']);
  });

  it('recovers from a 4403 when the fresh params are accepted', async () => {
    let calls = 0;
    open({ connectionParams: () => ({ token: ++calls === 1 ? 'expired' : 'valid' }) });
    session!.messages$.subscribe();
    await reach(session!, 'ready');
    expect(server.connectionParams).to.deep.equal([{ token: 'expired' }, { token: 'valid' }]);
  });

  it('pings on the interval and consumes the pongs', async () => {
    open({ pingInterval: 20 });
    const invalid: unknown[] = [];
    session!.invalid$.subscribe((error) => invalid.push(error));
    session!.messages$.subscribe();
    await eventually(() => frames('ping').length >= 3, 'three pings');
    expect(invalid).to.deep.equal([]);
    expect(session!.state.type).to.equal('ready');
  });

  it('answers a server ping with a pong, even with client pings off', async () => {
    open({ pingInterval: 0 });
    const invalid: unknown[] = [];
    session!.invalid$.subscribe((error) => invalid.push(error));
    session!.messages$.subscribe();
    await reach(session!, 'ready');
    server.sockets()[0]!.send(JSON.stringify({ type: 'ping' }));
    await eventually(() => frames('pong').length === 1, 'the pong');
    expect(frames('ping')).to.have.length(0);
    expect(invalid).to.deep.equal([]);
  });

  describe('close codes', () => {
    const verdict = (code: number) =>
      retryPolicy(GRAPHQL_WS_CLOSE_CODES)(new ConnectionClosedError(code, '', true, 'ready', 1)) ? 'retry' : 'fatal';

    it('follows the graphql-ws client: client bugs and server errors are fatal, timeouts and terminations retried', () => {
      const table = Object.fromEntries(
        [4004, 4005, 4400, 4401, 4403, 4406, 4408, 4409, 4429, 4499, 4500, 4504, 1000, 1006].map((code) => [code, verdict(code)]),
      );
      expect(table).to.deep.equal({
        4004: 'fatal',
        4005: 'fatal',
        4400: 'fatal',
        4401: 'fatal',
        4403: 'retry',
        4406: 'fatal',
        4408: 'retry',
        4409: 'fatal',
        4429: 'fatal',
        4499: 'retry',
        4500: 'fatal',
        4504: 'retry',
        1000: 'retry',
        1006: 'retry',
      });
    });
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
