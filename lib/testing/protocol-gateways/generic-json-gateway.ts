import { randomBytes } from 'node:crypto';
import { matchesPattern, type FramePattern } from '../../protocols/frame-pattern.js';
import { GatewayHost, parseJson, type HostedSocket, type ProtocolGatewayEvent } from './gateway-host.js';

/**
 * The protocol a {@link GenericJsonGateway} enforces, and its timings (ms).
 *
 * @example
 * const gateway = await GenericJsonGateway.start({ authFrame: { op: 'login' }, tokenField: 'jwt', ack: { op: 'welcome' }, authTimeout: 500 });
 */
export interface GenericJsonGatewayOptions {
  /**
   * Fields (and values) the auth frame must carry.
   * @default { type: 'auth' }
   */
  readonly authFrame?: FramePattern;
  /**
   * Further fields the auth frame must carry as non-empty strings (e.g. `guestId`).
   * @default []
   */
  readonly requiredFields?: readonly string[];
  /**
   * Field carrying the token.
   * @default 'token'
   */
  readonly tokenField?: string;
  /**
   * The ack frame.
   * @default { type: 'auth_ok' }
   */
  readonly ack?: FramePattern;
  /**
   * The refusal frame, sent with a `reason` field before a 4400/4401 close; `undefined`: refuse
   * with a silent 1000 close, as many gateways do.
   * @default undefined
   */
  readonly reject?: FramePattern;
  /**
   * The expiry notice of {@link GenericJsonGateway.expireTokens}.
   * @default { type: 'auth_expired' }
   */
  readonly expired?: FramePattern;
  /**
   * What a ping looks like.
   * @default { type: 'ping' }
   */
  readonly ping?: FramePattern;
  /**
   * The pong frame.
   * @default { type: 'pong' }
   */
  readonly pong?: FramePattern;
  /**
   * Time from connect to the auth frame before a 4408 close.
   * @default 5000
   */
  readonly authTimeout?: number;
  /**
   * Time after the expiry notice to re-auth on the same socket before a 4401 close.
   * @default 5000
   */
  readonly reauthGrace?: number;
}

/**
 * `{"action":"auth","token":...}` answered by `{"action":"auth","status":"success"}`, expiry `{"action":"auth","status":"expired"}`.
 *
 * @example
 * const gateway = await GenericJsonGateway.start(ACTION_AUTH_SHAPE);
 * const preset = genericJson({
 *   token: () => gateway.issueToken(),
 *   authFrame: { action: 'auth' },
 *   ack: { action: 'auth', status: 'success' },
 *   reject: { action: 'auth', status: 'error' },
 *   expired: { action: 'auth', status: 'expired' },
 *   ping: { action: 'ping' },
 *   pong: { action: 'pong' },
 * });
 */
export const ACTION_AUTH_SHAPE: GenericJsonGatewayOptions = {
  authFrame: { action: 'auth' },
  ack: { action: 'auth', status: 'success' },
  reject: { action: 'auth', status: 'error' },
  expired: { action: 'auth', status: 'expired' },
  ping: { action: 'ping' },
  pong: { action: 'pong' },
};

/**
 * `{"type":"auth","guestId":...,"token":...}` answered by `{"type":"auth_ok"}`; a wrong schema or token gets a silent 1000 close.
 *
 * @example
 * // Leave out guestId on purpose to see the silent-close diagnosis (AuthClosedError).
 * const gateway = await GenericJsonGateway.start(GUEST_AUTH_SHAPE);
 * const session = connect({ url: gateway.url, WebSocketCtor: WebSocket, inbound: t.unknown, ...genericJson({ token: () => gateway.issueToken() }) });
 */
export const GUEST_AUTH_SHAPE: GenericJsonGatewayOptions = {
  authFrame: { type: 'auth' },
  requiredFields: ['guestId'],
  ack: { type: 'auth_ok' },
  reject: undefined,
  expired: { type: 'auth_expired' },
  ping: { type: 'ping' },
  pong: { type: 'pong' },
};

type Phase = 'awaiting-auth' | 'authenticated' | 'expired';

/**
 * A strict gateway for the generic JSON protocol of `genericJson`, shaped by its options (see
 * {@link ACTION_AUTH_SHAPE}, {@link GUEST_AUTH_SHAPE}): the auth frame first, then pings and app
 * frames; faults on demand (drop, expiry with a re-auth grace, publish). For tests: tokens are
 * random strings checked by lookup.
 *
 * @example
 * const gateway = await GenericJsonGateway.start(ACTION_AUTH_SHAPE);
 * const session = connect({ url: gateway.url, WebSocketCtor: WebSocket, inbound: t.unknown,
 *   ...genericJson({ token: () => gateway.issueToken(), authFrame: { action: 'auth' }, ack: { action: 'auth', status: 'success' } }) });
 * await gateway.close();
 */
export class GenericJsonGateway {
  /** App frames received from authenticated clients, in order, with the connection id. */
  readonly received: { readonly connectionId: number; readonly frame: unknown }[] = [];
  /** Pings answered. */
  pings = 0;
  private readonly tokens = new Set<string>();
  private readonly phases = new Map<number, Phase>();
  private readonly settings: Required<Omit<GenericJsonGatewayOptions, 'reject'>> & Pick<GenericJsonGatewayOptions, 'reject'>;

  private constructor(
    private readonly host: GatewayHost,
    settings: GenericJsonGatewayOptions,
  ) {
    this.settings = {
      authFrame: { type: 'auth' },
      requiredFields: [],
      tokenField: 'token',
      ack: { type: 'auth_ok' },
      expired: { type: 'auth_expired' },
      ping: { type: 'ping' },
      pong: { type: 'pong' },
      authTimeout: 5000,
      reauthGrace: 5000,
      ...settings,
    };
  }

  /** Starts a gateway on 127.0.0.1 (random port). */
  static async start(options: GenericJsonGatewayOptions = {}): Promise<GenericJsonGateway> {
    let gateway: GenericJsonGateway | undefined;
    const host = await GatewayHost.start({
      onOpen: (socket) => gateway!.onOpen(socket),
      onText: (socket, text) => gateway!.onText(socket, text),
      onClose: (socket) => gateway!.phases.delete(socket.id),
    });
    gateway = new GenericJsonGateway(host, options);
    return gateway;
  }

  /** `ws://127.0.0.1:<port>`. */
  get url(): string {
    return this.host.url();
  }

  /** Connects, auths, expiries, closes and faults, in order. */
  get events(): readonly ProtocolGatewayEvent[] {
    return this.host.events;
  }

  /** Sockets currently open. */
  get connectionCount(): number {
    return this.host.sockets.size;
  }

  /** A fresh valid token. */
  issueToken(): string {
    const token = randomBytes(12).toString('base64url');
    this.tokens.add(token);
    return token;
  }

  /** Sends a frame to every authenticated client. */
  publish(frame: unknown): void {
    for (const socket of this.host.open) if (this.phases.get(socket.id) === 'authenticated') this.host.send(socket, frame);
  }

  /** Fault: every token issued so far becomes invalid; authenticated clients get the expiry notice and `reauthGrace`. */
  expireTokens(): void {
    this.tokens.clear();
    for (const socket of this.host.open) {
      if (this.phases.get(socket.id) !== 'authenticated') continue;
      this.phases.set(socket.id, 'expired');
      this.host.record('expired', socket);
      this.host.send(socket, this.settings.expired);
      this.host.after(socket, this.settings.reauthGrace, () => this.host.close(socket, 4401, 'token expired'));
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
    this.phases.set(socket.id, 'awaiting-auth');
    this.host.after(socket, this.settings.authTimeout, () => {
      if (this.phases.get(socket.id) === 'awaiting-auth') this.host.close(socket, 4408, 'auth timeout');
    });
  }

  private onText(socket: HostedSocket, text: string): void {
    const frame = parseJson(text);
    if (frame === undefined) return this.host.close(socket, 1007, 'invalid frame');
    const phase = this.phases.get(socket.id);
    const isAuthFrame = matchesPattern(this.settings.authFrame)(frame);
    if (phase === 'awaiting-auth' || isAuthFrame) return this.authenticate(socket, frame, phase === 'awaiting-auth');
    if (matchesPattern(this.settings.ping)(frame)) {
      this.pings++;
      return this.host.send(socket, this.settings.pong);
    }
    if (phase !== 'authenticated') return this.host.close(socket, 4401, 'sent while unauthenticated');
    this.received.push({ connectionId: socket.id, frame });
  }

  private authenticate(socket: HostedSocket, frame: unknown, first: boolean): void {
    const verdict = this.check(frame);
    if (verdict !== 'ok') {
      this.host.record('auth_fail', socket, { detail: verdict });
      if (!this.settings.reject) return this.host.close(socket, 1000, '');
      this.host.send(socket, { ...this.settings.reject, reason: verdict });
      return this.host.close(socket, verdict === 'invalid schema' ? 4400 : 4401, verdict);
    }
    this.phases.set(socket.id, 'authenticated');
    for (const timer of socket.timers) clearTimeout(timer); // auth timeout or re-auth grace
    socket.timers.clear();
    this.host.record(first ? 'auth_ok' : 'reauth_ok', socket);
    this.host.send(socket, this.settings.ack);
  }

  private check(frame: unknown): 'ok' | 'invalid schema' | 'invalid token' {
    const { authFrame, requiredFields, tokenField } = this.settings;
    if (!matchesPattern(authFrame)(frame)) return 'invalid schema';
    const record = frame as Record<string, unknown>;
    const fieldOk = (field: string) => typeof record[field] === 'string' && record[field] !== '';
    if (!fieldOk(tokenField) || !requiredFields.every(fieldOk)) return 'invalid schema';
    return this.tokens.has(record[tokenField] as string) ? 'ok' : 'invalid token';
  }
}
