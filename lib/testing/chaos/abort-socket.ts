import type { Socket } from 'node:net';

/**
 * Kills a TCP socket with an RST where TCP allows it, else destroys it. libuv refuses to reset a
 * socket whose shutdown (a FIN from `end()`) is in progress, and Node then leaves its handle open
 * for good: the process can never exit, and spins when it tries. Such a socket is destroyed
 * plainly; its peer has seen, or will see, the FIN.
 *
 * @example
 * socket.end();
 * abortSocket(socket); // destroyed, not leaked (a bare socket.resetAndDestroy() would leak it)
 */
export function abortSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}
