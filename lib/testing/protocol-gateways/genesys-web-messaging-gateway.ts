import { randomUUID } from 'node:crypto';
import { GatewayHost, parseJson, type HostedSocket, type ProtocolGatewayEvent } from './gateway-host.js';

/**
 * Options of {@link GenesysWebMessagingGateway.start}; durations in ms.
 *
 * @example
 * // A fast, strict gateway: 429 after 2 messages per 200 ms, retry after 50 ms.
 * const gateway = await GenesysWebMessagingGateway.start({ rateLimit: { messages: 2, perMs: 200 }, retryAfterSeconds: 0.05 });
 */
export interface GenesysWebMessagingGatewayOptions {
  /**
   * The only deployment id accepted.
   * @default 'test-deployment'
   */
  readonly deploymentId?: string;
  /**
   * Messages accepted per session in any window of `perMs`; more get a 429.
   * @default { messages: 2, perMs: 1000 }
   */
  readonly rateLimit?: { readonly messages: number; readonly perMs: number };
  /**
   * `body.retryAfter` of a 429, in seconds (fractions allowed here, for fast tests).
   * @default 1
   */
  readonly retryAfterSeconds?: number;
  /**
   * Shortest interval between two echoes of one session; a faster echo gets a 429.
   * @default 30000
   */
  readonly minEchoInterval?: number;
  /**
   * Longest text accepted; longer gets a 4011 error.
   * @default 4096
   */
  readonly maxTextLength?: number;
}

/**
 * A guest message the gateway accepted, in order.
 *
 * @example
 * expect(gateway.accepted.map((message: GenesysAcceptedMessage) => message.text)).to.deep.equal(['one', 'two']);
 */
export interface GenesysAcceptedMessage {
  /** Session number (1 for the first session token seen), never the token itself. */
  readonly session: number;
  /** The connection it came on, numbered from 1 (a resend after a reconnect has a new one). */
  readonly connectionId: number;
  /** The message text. */
  readonly text: string;
  /** The `metadata.customMessageId` the client gave it, if any. */
  readonly customMessageId: string | undefined;
  /** Milliseconds since the gateway started. */
  readonly at: number;
}

interface GuestSession {
  readonly number: number;
  expired: boolean;
  ended: boolean;
  sends: number[];
  lastEcho: number | undefined;
}

const CLOSE_AFTER_EVENT_MS = 20;

/**
 * A strict stand-in for Genesys Cloud Web Messaging (guest API) on 127.0.0.1: `configureSession`
 * first (deployment and uuid token checked, `SessionResponse` with `newSession`), `onMessage`
 * with the session token, per-session rate limit answered by `TooManyRequestsErrorMessage` 429
 * with `retryAfter`, an echo limit, `class: 'string'` errors (400, 401, 403, 4006, 4011), and
 * faults: agent messages, session expiry (`SessionExpiredEvent`), final close
 * (`ConnectionClosedEvent`), drops. Session tokens are never recorded.
 *
 * @example
 * const gateway = await GenesysWebMessagingGateway.start({ retryAfterSeconds: 0.2 });
 * const session = connect({ WebSocketCtor: WebSocket,
 *   ...genesysWebMessaging({ url: gateway.url, deploymentId: gateway.deploymentId, token: randomUUID() }) });
 * await gateway.close();
 */
export class GenesysWebMessagingGateway {
  /** Messages accepted, in order. */
  readonly accepted: GenesysAcceptedMessage[] = [];
  /** 429 answers sent (messages and echoes). */
  tooManyRequests = 0;
  /** Echoes answered, and echoes refused for coming faster than `minEchoInterval`. */
  echoes = 0;
  echoViolations = 0;
  private readonly sessions = new Map<string, GuestSession>();
  private readonly sessionOf = new Map<number, string>();
  private readonly settings: Required<GenesysWebMessagingGatewayOptions>;
  private readonly startedAt = Date.now();

  private constructor(
    private readonly host: GatewayHost,
    options: GenesysWebMessagingGatewayOptions,
  ) {
    this.settings = {
      deploymentId: 'test-deployment',
      rateLimit: { messages: 2, perMs: 1000 },
      retryAfterSeconds: 1,
      minEchoInterval: 30_000,
      maxTextLength: 4096,
      ...options,
    };
  }

  /** Starts a gateway on 127.0.0.1 (random port). */
  static async start(options: GenesysWebMessagingGatewayOptions = {}): Promise<GenesysWebMessagingGateway> {
    let gateway: GenesysWebMessagingGateway | undefined;
    const host = await GatewayHost.start({
      onOpen: () => undefined,
      onText: (socket, text) => gateway!.onText(socket, text),
      onClose: (socket) => gateway!.sessionOf.delete(socket.id),
      refuse: (request) => (new URL(request.url ?? '/', 'ws://localhost').pathname === '/v1' ? undefined : 404),
    });
    gateway = new GenesysWebMessagingGateway(host, options);
    return gateway;
  }

  /** The deployment id it accepts. */
  get deploymentId(): string {
    return this.settings.deploymentId;
  }

  /** `ws://127.0.0.1:<port>/v1?deploymentId=<deploymentId>`, the shape of the real endpoint. */
  get url(): string {
    return this.host.url(`/v1?deploymentId=${encodeURIComponent(this.settings.deploymentId)}`);
  }

  /** Connects, configures ('configure', detail 'new' or 'existing'), refusals, closes and faults. */
  get events(): readonly ProtocolGatewayEvent[] {
    return this.host.events;
  }

  /** Sockets currently open. */
  get connectionCount(): number {
    return this.host.sockets.size;
  }

  /** Sends an agent message (`direction: 'Outbound'`) to every configured socket. */
  agentSays(text: string): void {
    for (const socket of this.configuredSockets()) {
      this.host.send(socket, structuredMessage(text, 'Outbound', undefined, 'message'));
    }
  }

  /** Fault: every session expires: `SessionExpiredEvent`, then a 1000 close; its token is refused (4006) from now on. */
  expireSessions(): void {
    for (const socket of this.configuredSockets()) {
      this.session(socket)!.expired = true;
      this.host.record('fault', socket, { detail: 'session expired' });
      this.host.send(socket, { type: 'message', class: 'SessionExpiredEvent', code: 200, body: {} });
      this.host.after(socket, CLOSE_AFTER_EVENT_MS, () => this.host.close(socket, 1000, 'session expired'));
    }
  }

  /** Fault: the server ends every session for good: `ConnectionClosedEvent`, then a 1000 close. */
  endSessions(reason = 'sessionLimitReached'): void {
    for (const socket of this.configuredSockets()) {
      this.session(socket)!.ended = true;
      this.host.record('fault', socket, { detail: 'connection closed event' });
      this.host.send(socket, { type: 'message', class: 'ConnectionClosedEvent', code: 200, body: { reason } });
      this.host.after(socket, CLOSE_AFTER_EVENT_MS, () => this.host.close(socket, 1000, 'connection closed'));
    }
  }

  /** Fault: terminates every socket without a close frame; sessions survive (reconnect with the same token). */
  dropAll(): void {
    for (const socket of this.host.open) this.host.drop(socket);
  }

  /** Terminates everything and stops listening. */
  close(): Promise<void> {
    return this.host.shutdown();
  }

  private onText(socket: HostedSocket, text: string): void {
    const frame = parseJson(text) as Record<string, unknown> | undefined;
    if (typeof frame !== 'object' || frame === null) return this.error(socket, 400, 'Request must be a JSON object');
    switch (frame['action']) {
      case 'configureSession':
        return this.configure(socket, frame);
      case 'onMessage':
        return this.onMessage(socket, frame);
      case 'echo':
        return this.echo(socket, frame);
      default:
        return this.error(socket, 400, 'Unknown action');
    }
  }

  private configure(socket: HostedSocket, frame: Record<string, unknown>): void {
    const { deploymentId, token } = frame;
    if (typeof deploymentId !== 'string' || typeof token !== 'string' || !UUID.test(token)) {
      this.host.record('auth_fail', socket, { detail: 'invalid configureSession' });
      return this.error(socket, 400, 'Invalid configureSession request');
    }
    if (deploymentId !== this.settings.deploymentId) {
      this.host.record('auth_fail', socket, { detail: 'unknown deployment' });
      return this.error(socket, 403, 'Deployment not found or not active');
    }
    const known = this.sessions.get(token);
    if (known?.expired || known?.ended) {
      this.host.record('auth_fail', socket, { detail: 'session expired' });
      return this.error(socket, 4006, 'Session has expired');
    }
    const guest = known ?? { number: this.sessions.size + 1, expired: false, ended: false, sends: [], lastEcho: undefined };
    this.sessions.set(token, guest);
    this.sessionOf.set(socket.id, token);
    this.host.record('configure', socket, { detail: known ? 'existing' : 'new' });
    this.host.send(socket, {
      type: 'response',
      class: 'SessionResponse',
      code: 200,
      body: { connected: true, newSession: !known, readOnly: false, maxCustomDataBytes: 2048 },
    });
  }

  private onMessage(socket: HostedSocket, frame: Record<string, unknown>): void {
    const guest = this.session(socket);
    if (!guest) return this.error(socket, 400, 'Session not configured: send configureSession first');
    if (frame['token'] !== this.sessionOf.get(socket.id)) return this.error(socket, 401, 'Token does not match the session');
    const message = frame['message'] as { type?: unknown; text?: unknown; metadata?: { customMessageId?: unknown } } | undefined;
    if (message?.type !== 'Text' || typeof message.text !== 'string') return this.error(socket, 400, 'Invalid message');
    if (message.text.length > this.settings.maxTextLength) return this.error(socket, 4011, 'Message exceeds the maximum length');
    const now = Date.now();
    const { messages, perMs } = this.settings.rateLimit;
    guest.sends = guest.sends.filter((at) => at > now - perMs);
    if (guest.sends.length >= messages) return this.tooMany(socket);
    guest.sends.push(now);
    const customMessageId = typeof message.metadata?.customMessageId === 'string' ? message.metadata.customMessageId : undefined;
    this.accepted.push({ session: guest.number, connectionId: socket.id, text: message.text, customMessageId, at: now - this.startedAt });
    this.host.send(socket, structuredMessage(message.text, 'Inbound', customMessageId, 'response'));
  }

  private echo(socket: HostedSocket, frame: Record<string, unknown>): void {
    const guest = this.session(socket);
    if (!guest) return this.error(socket, 400, 'Session not configured: send configureSession first');
    const now = Date.now();
    if (guest.lastEcho !== undefined && now - guest.lastEcho < this.settings.minEchoInterval) {
      this.echoViolations++;
      return this.tooMany(socket);
    }
    guest.lastEcho = now;
    this.echoes++;
    const message = frame['message'] as { text?: unknown; metadata?: { customMessageId?: unknown } } | undefined;
    const id = typeof message?.metadata?.customMessageId === 'string' ? message.metadata.customMessageId : undefined;
    this.host.send(socket, structuredMessage(typeof message?.text === 'string' ? message.text : 'ping', 'Inbound', id, 'response'));
  }

  private tooMany(socket: HostedSocket): void {
    this.tooManyRequests++;
    this.host.record('rate_limited', socket);
    this.host.send(socket, {
      type: 'response',
      class: 'TooManyRequestsErrorMessage',
      code: 429,
      body: { retryAfter: this.settings.retryAfterSeconds, errorCode: 4029, errorMessage: 'Message rate too high for this session' },
    });
  }

  private error(socket: HostedSocket, code: number, body: string): void {
    this.host.send(socket, { type: 'response', class: 'string', code, body });
  }

  private session(socket: HostedSocket): GuestSession | undefined {
    const token = this.sessionOf.get(socket.id);
    return token === undefined ? undefined : this.sessions.get(token);
  }

  private configuredSockets(): HostedSocket[] {
    return this.host.open.filter((socket) => this.sessionOf.has(socket.id));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function structuredMessage(
  text: string,
  direction: 'Inbound' | 'Outbound',
  customMessageId: string | undefined,
  type: 'message' | 'response',
) {
  return {
    type,
    class: 'StructuredMessage',
    code: 200,
    body: {
      id: randomUUID(),
      type: 'Text',
      text,
      direction,
      ...(customMessageId === undefined ? {} : { metadata: { customMessageId } }),
    },
  };
}
