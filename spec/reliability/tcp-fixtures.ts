import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that records what each connection sent and can answer it. */
export interface RecordingServer {
  readonly port: number;
  /** Server-side sockets, in order of arrival. */
  readonly sockets: Socket[];
  /** Bytes received per connection, in order of arrival. */
  readonly received: Buffer[];
  /** How each server-side socket ended: 'end' (FIN), 'error' (e.g. ECONNRESET), or still open. */
  readonly endings: ('open' | 'end' | 'error')[];
  close(): Promise<void>;
}

/** Starts a recording server; with `echo`, it writes back everything it receives. */
export async function recordingServer(options: { echo?: boolean } = {}): Promise<RecordingServer> {
  const sockets: Socket[] = [];
  const received: Buffer[] = [];
  const endings: ('open' | 'end' | 'error')[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const index = sockets.push(socket) - 1;
    received[index] = Buffer.alloc(0);
    endings[index] = 'open';
    socket.on('data', (data: Buffer) => {
      received[index] = Buffer.concat([received[index]!, data]);
      if (options.echo) socket.write(data);
    });
    socket.on('end', () => {
      if (endings[index] === 'open') endings[index] = 'end';
      socket.end();
    });
    socket.on('error', () => {
      endings[index] = 'error';
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    received,
    endings,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A connected TCP client that collects what it receives and how it ended. */
export interface RecordingClient {
  readonly socket: Socket;
  received(): Buffer;
  /** Resolves with the error code (ECONNRESET...) or 'end' / 'close' when the socket closes. */
  readonly ended: Promise<string>;
  /** Resolves once `bytes` bytes in total were received. */
  waitFor(bytes: number): Promise<Buffer>;
}

/** Connects to 127.0.0.1:`port`; rejects with the connect error (ECONNREFUSED...). */
export function recordingClient(port: number): Promise<RecordingClient> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let data = Buffer.alloc(0);
    const waiters: { bytes: number; resolve: (data: Buffer) => void }[] = [];
    let how = 'close';
    const ended = new Promise<string>((settle) => socket.on('close', () => settle(how)));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (const waiter of [...waiters]) {
        if (data.length >= waiter.bytes) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(data);
        }
      }
    });
    socket.on('end', () => {
      how = 'end';
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      how = error.code ?? error.message;
      reject(error);
    });
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => data,
        ended,
        waitFor: (bytes) =>
          data.length >= bytes ? Promise.resolve(data) : new Promise((settle) => waiters.push({ bytes, resolve: settle })),
      }),
    );
  });
}

/** Polls `condition` every 5 ms until it holds; rejects after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
