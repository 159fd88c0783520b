import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** A real `ws` server on 127.0.0.1 with a scripted behaviour, for the probe CLI specs. */
export interface LocalServer {
  /** `ws://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every text frame received, in order. */
  readonly received: string[];
  /** How many connections it accepted. */
  connections: number;
  close(): Promise<void>;
}

/**
 * Starts a server on an ephemeral port of 127.0.0.1; `onFrame` answers each text frame (by default
 * it answers nothing: a server that never acks). It accepts the first subprotocol offered.
 */
export async function startLocalServer(onFrame: (socket: WebSocket, frame: string) => void = () => undefined): Promise<LocalServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const server: LocalServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    received: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (socket) => {
    server.connections++;
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = String(data);
      server.received.push(frame);
      onFrame(socket, frame);
    });
  });
  return server;
}
