import type { AddressInfo } from 'node:net';
import { GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';

/** The real graphql-ws server (useServer on a ws server, 127.0.0.1) with a tiny schema, for the preset's spec. */
export interface GraphqlWsTestServer {
  readonly url: string;
  /** Every frame clients sent, parsed, with the server-side socket number. */
  readonly received: { readonly socket: number; readonly frame: { type?: string; id?: string; payload?: unknown } }[];
  /** connection_init payloads seen by onConnect. */
  readonly connectionParams: unknown[];
  /** The server-side sockets currently open. */
  readonly sockets: () => WebSocket[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      count: {
        type: GraphQLInt,
        args: { to: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_source: unknown, args: { to: number }) {
          for (let i = 1; i <= args.to; i++) yield { count: i };
        },
      },
      ticks: {
        type: GraphQLInt,
        args: { everyMs: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_source: unknown, args: { everyMs: number }) {
          for (let i = 1; ; i++) {
            await sleep(args.everyMs);
            yield { ticks: i };
          }
        },
      },
    },
  }),
});

/** Starts the server; `acceptToken` decides which `connectionParams.token` onConnect accepts. */
export async function startGraphqlWsServer(
  acceptToken: (token: unknown) => boolean = (token) => token === 'valid',
): Promise<GraphqlWsTestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/graphql' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: GraphqlWsTestServer['received'] = [];
  const connectionParams: unknown[] = [];
  let sockets = 0;
  wss.on('connection', (ws) => {
    const socket = ++sockets;
    ws.on('message', (data) => received.push({ socket, frame: JSON.parse(String(data)) as { type?: string } }));
  });
  const server = useServer(
    {
      schema,
      connectionInitWaitTimeout: 2000,
      onConnect: (ctx) => {
        connectionParams.push(ctx.connectionParams);
        return acceptToken(ctx.connectionParams?.['token']);
      },
    },
    wss,
  );
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`,
    received,
    connectionParams,
    sockets: () => [...wss.clients],
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
