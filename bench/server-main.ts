/**
 * The bench server's process entry (forked by bench/harness.ts with an IPC channel). Commands:
 *
 *   { cmd: 'stats' }              -> { type: 'stats', connections, authenticated, accepted, halfOpen }
 *   { cmd: 'restart', downMs }    -> drops every socket, refuses connections for downMs, listens
 *                                    again on the same port, then { type: 'restarted' }
 *   { cmd: 'sweep' }              -> destroys the half-open sockets, then { type: 'swept' }
 *   { cmd: 'exit' }               -> exits
 */
import { startBenchServer } from './server.js';

const server = await startBenchServer(Number(process.argv[2] ?? 0));
process.send?.({ type: 'listening', port: server.port });

process.on('message', (message: { cmd: string; downMs?: number }) => {
  switch (message.cmd) {
    case 'stats':
      process.send?.({ type: 'stats', ...server.stats() });
      return;
    case 'restart':
      void server.restart(message.downMs ?? 0).then(() => process.send?.({ type: 'restarted' }));
      return;
    case 'sweep':
      server.sweepHalfOpen();
      process.send?.({ type: 'swept' });
      return;
    case 'exit':
      process.exit(0);
  }
});
// The parent is gone: never outlive it.
process.on('disconnect', () => process.exit(0));
