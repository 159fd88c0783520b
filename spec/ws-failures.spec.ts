// What `fromWebSocket` makes of the failures `ws` reports, with a real `ws` client on loopback:
// why a connect failed (ECONNREFUSED, a TLS error, an HTTP answer instead of the upgrade) stays on
// the ConnectionClosedError as its cause; a close frame with a code invalid on the wire is a
// plain 1006 (retried), as in a browser.
import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { firstValueFrom, ignoreElements } from 'rxjs';
import { WebSocket, WebSocketServer } from 'ws';
import { shouldRetry } from '../lib/close-codes.js';
import { ConnectionClosedError } from '../lib/errors.js';
import { fromWebSocket } from '../lib/from-web-socket.js';
import type { WebSocketCtor } from '../lib/web-socket-like.js';

const Ctor = WebSocket as unknown as WebSocketCtor;

/** The error a `fromWebSocket` stream ends with. */
async function failureOf(url: string): Promise<ConnectionClosedError & { cause?: unknown }> {
  try {
    await firstValueFrom(fromWebSocket(url, { WebSocketCtor: Ctor, allowInsecure: true }).pipe(ignoreElements()), {
      defaultValue: undefined,
    });
  } catch (error) {
    return error as ConnectionClosedError & { cause?: unknown };
  }
  throw new Error('the stream did not error');
}

/** A TCP server that answers every connection with `answer` and hangs up. */
async function answeringServer(answer: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const causeCode = (error: { cause?: unknown }): unknown => (error.cause as { code?: unknown } | undefined)?.code;

describe('fromWebSocket: connect failures reported by ws', function () {
  this.timeout(20_000);

  it('keeps why a refused connect failed (ECONNREFUSED) on the ConnectionClosedError', async () => {
    // Port 1 on loopback: nothing listens there.
    const error = await failureOf('ws://127.0.0.1:1');
    expect(error).to.be.instanceOf(ConnectionClosedError);
    expect(error.closeCode).to.equal(1006);
    expect(causeCode(error), 'error.cause.code').to.equal('ECONNREFUSED');
  });

  it('keeps why a TLS handshake failed on the error', async () => {
    // A server that does not speak TLS: the client's handshake fails (as with an expired or
    // self-signed certificate: `ws` reports DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ... the same way).
    const server = await answeringServer('HTTP/1.1 400 Bad Request\r\n\r\n');
    try {
      const error = await failureOf(`wss://127.0.0.1:${server.port}/`);
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(error.phase).to.equal('connecting');
      // A TLS failure is a 1006 like a server that is down; the cause tells them apart.
      expect(error.cause, 'error.cause (the TLS error ws reported)').to.be.instanceOf(Error);
    } finally {
      await server.close();
    }
  });

  it('keeps the HTTP status of a refused upgrade (401) on the error', async () => {
    const server = await answeringServer('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    try {
      const error = await failureOf(`ws://127.0.0.1:${server.port}/`);
      expect(error).to.be.instanceOf(ConnectionClosedError);
      // `ws` says "Unexpected server response: 401": the cause keeps it.
      expect(String((error.cause as Error | undefined)?.message), 'error.cause.message').to.match(/401/);
    } finally {
      await server.close();
    }
  });

  it('reconnects after a server closes with a code that is invalid on the wire, as a browser does (1006), instead of ending for good', async () => {
    // Some servers and proxies relay the code they saw upstream (1005, 1006, 1015) in their own
    // close frame while shutting down. `ws` refuses it (WS_ERR_INVALID_CLOSE_CODE); a browser
    // reports 1006 and reconnects, and so must we: not a fatal FrameRejectedError('protocol'), as
    // the server was closing anyway.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => {
      // A close frame carrying 1006 (0x03ee), written raw: `ws` itself would refuse to send it.
      (socket as unknown as { _socket: Socket })._socket.end(Buffer.from([0x88, 0x02, 0x03, 0xee]));
    });
    try {
      const error = await failureOf(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
      expect(error).to.be.instanceOf(ConnectionClosedError);
      expect(shouldRetry(error), `shouldRetry(${error.name} ${error.closeCode})`).to.equal(true);
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
