import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GatewayHost, parseJson, type HostedSocket, type ProtocolGatewayEvent } from './gateway-host.js';

/**
 * Options of {@link GenesysNotificationsGateway.start}; durations in ms.
 *
 * @example
 * const gateway = await GenesysNotificationsGateway.start({ heartbeatInterval: 50 }); // for maxSilence: 100 in tests
 */
export interface GenesysNotificationsGatewayOptions {
  /**
   * Interval of the `WebSocket Heartbeat` frames (30000 in Genesys Cloud; shorter for tests).
   * @default 30000
   */
  readonly heartbeatInterval?: number;
}

/**
 * A strict stand-in for a Genesys Cloud Notifications channel on 127.0.0.1: channels created
 * with {@link createChannel} (an unknown channel's upgrade is refused with 404), a heartbeat on
 * every socket, `{"message":"ping"}` answered by a `pong` on `channel.metadata`, one socket per
 * channel (a new one replaces the old, which is closed and counted in {@link overlaps}), and
 * faults: `socket_closing` before a planned close, silence, drops. Channel URLs are never recorded.
 *
 * @example
 * const gateway = await GenesysNotificationsGateway.start({ heartbeatInterval: 50 });
 * const channelUrl = gateway.createChannel();
 * const session = connect({ WebSocketCtor: WebSocket, ...genesysNotifications({ channelUrl, heartbeatInterval: 50 }) });
 * gateway.publish('v2.users.u1.presence', { presenceDefinition: { systemPresence: 'Available' } });
 * await gateway.close();
 */
export class GenesysNotificationsGateway {
  /** Times a socket arrived on a channel that still had an open one (the old one is closed). */
  overlaps = 0;
  /** Pings answered. */
  pings = 0;
  /** Heartbeats sent. */
  heartbeats = 0;
  private readonly channels = new Set<string>();
  private readonly channelOf = new Map<number, string>();
  private readonly silent = new Set<number>();

  private constructor(
    private readonly host: GatewayHost,
    private readonly heartbeatInterval: number,
  ) {}

  /** Starts a gateway on 127.0.0.1 (random port). */
  static async start(options: GenesysNotificationsGatewayOptions = {}): Promise<GenesysNotificationsGateway> {
    let gateway: GenesysNotificationsGateway | undefined;
    const host = await GatewayHost.start({
      onOpen: (socket) => gateway!.onOpen(socket),
      onText: (socket, text) => gateway!.onText(socket, text),
      onClose: (socket) => {
        gateway!.channelOf.delete(socket.id);
        gateway!.silent.delete(socket.id);
      },
      refuse: (request) => (gateway!.channels.has(channelIdOf(request) ?? '') ? undefined : 404),
    });
    gateway = new GenesysNotificationsGateway(host, options.heartbeatInterval ?? 30_000);
    return gateway;
  }

  /** Creates a channel and returns its connect URI (`ws://127.0.0.1:<port>/channels/<id>`). */
  createChannel(): string {
    const id = `streaming-0-${randomUUID()}`;
    this.channels.add(id);
    return this.host.url(`/channels/${id}`);
  }

  /** Connects, closes and faults. */
  get events(): readonly ProtocolGatewayEvent[] {
    return this.host.events;
  }

  /** Sockets currently open. */
  get connectionCount(): number {
    return this.host.sockets.size;
  }

  /** Sends a notification to every socket (of every channel). */
  publish(topicName: string, eventBody: unknown): void {
    for (const socket of this.live())
      this.host.send(socket, { topicName, version: '2', eventBody, metadata: { CorrelationId: randomUUID() } });
  }

  /** Fault: announces `v2.system.socket_closing` on every socket, then closes them (1001) after `closeInMs`. */
  announceClosing(closeInMs: number): void {
    for (const socket of this.live()) {
      this.host.record('fault', socket, { detail: `socket_closing ${closeInMs}ms` });
      this.host.send(socket, { topicName: 'v2.system.socket_closing', eventBody: { message: 'Socket closing' } });
      this.host.after(socket, closeInMs, () => this.host.close(socket, 1001, 'planned close'));
    }
  }

  /** Fault: current sockets stay open but go quiet: no heartbeat, no pong, no notification. */
  goSilent(): void {
    for (const socket of this.live()) {
      this.silent.add(socket.id);
      this.host.record('fault', socket, { detail: 'silent' });
    }
  }

  /** Fault: terminates every socket without a close frame. */
  dropAll(): void {
    for (const socket of this.host.open) this.host.drop(socket);
  }

  /** Terminates everything and stops listening. */
  close(): Promise<void> {
    return this.host.shutdown();
  }

  private onOpen(socket: HostedSocket): void {
    const channel = channelIdOf(socket.request)!;
    for (const other of this.host.open) {
      if (other !== socket && this.channelOf.get(other.id) === channel) {
        this.overlaps++;
        this.host.close(other, 1000, 'replaced by a newer socket');
      }
    }
    this.channelOf.set(socket.id, channel);
    this.host.every(socket, this.heartbeatInterval, () => {
      if (this.silent.has(socket.id)) return;
      this.heartbeats++;
      this.host.send(socket, { topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } });
    });
  }

  private onText(socket: HostedSocket, text: string): void {
    if (this.silent.has(socket.id)) return;
    const frame = parseJson(text) as { message?: unknown } | undefined;
    if (frame?.message === 'ping') {
      this.pings++;
      this.host.send(socket, { topicName: 'channel.metadata', eventBody: { message: 'pong' } });
    }
  }

  private live(): HostedSocket[] {
    return this.host.open.filter((socket) => !this.silent.has(socket.id));
  }
}

function channelIdOf(request: IncomingMessage): string | undefined {
  const match = /^\/channels\/([^/?]+)$/.exec(new URL(request.url ?? '/', 'ws://localhost').pathname);
  return match?.[1];
}
