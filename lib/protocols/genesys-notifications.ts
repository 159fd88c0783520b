import * as t from 'io-ts';
import { CLOSE_CODES, retryPolicy, type CloseCodeVerdict } from '../close-codes.js';
import type { FrameMatcher } from '../frame-matcher.js';
import type { HeartbeatConfig } from '../operators/heartbeat.js';
import type { RetryWithBackoffConfig } from '../operators/retry-with-backoff.js';
import type { PresetRetryConfig } from './auth-close-policy.js';
import { matchesPattern } from './frame-pattern.js';

/**
 * A notification: the topic it was subscribed under and its body.
 *
 * @example
 * session.messages$.subscribe((event: GenesysNotification) => console.log(event.topicName, event.eventBody));
 * // v2.users.4f1c.presence { presenceDefinition: { systemPresence: 'Available' } }
 */
export const GenesysNotification = t.intersection([
  t.type({ topicName: t.string, eventBody: t.unknown }),
  t.partial({ version: t.string, metadata: t.record(t.string, t.unknown) }),
]);
export type GenesysNotification = t.TypeOf<typeof GenesysNotification>;

/**
 * The server's heartbeat, every 30 s.
 *
 * @example
 * isGenesysHeartbeat({ topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } }); // true
 */
export const isGenesysHeartbeat: (value: unknown) => boolean = matchesPattern({
  topicName: 'channel.metadata',
  eventBody: { message: 'WebSocket Heartbeat' },
});

/**
 * The answer to `{"message":"ping"}`.
 *
 * @example
 * isGenesysPong({ topicName: 'channel.metadata', eventBody: { message: 'pong' } }); // true
 */
export const isGenesysPong: (value: unknown) => boolean = matchesPattern({ topicName: 'channel.metadata', eventBody: { message: 'pong' } });

/**
 * The notice sent about a minute before a planned close.
 *
 * @example
 * isGenesysSocketClosing({ topicName: 'v2.system.socket_closing', eventBody: {} }); // true
 */
export const isGenesysSocketClosing: (value: unknown) => boolean = matchesPattern({ topicName: 'v2.system.socket_closing' });

/**
 * Options of {@link genesysNotifications}.
 *
 * @example
 * const options: GenesysNotificationsOptions = { channelUrl: channel.connectUri, pingInterval: 60_000 };
 * connect({ WebSocketCtor: WebSocket, ...genesysNotifications(options) });
 */
export interface GenesysNotificationsOptions {
  /**
   * The channel's `connectUri` from `POST /api/v2/notifications/channels`. It is the credential
   * of the channel: it never appears in an error message or log of this library.
   */
  channelUrl: string;
  /**
   * The server's heartbeat period in ms.
   * @default 30000
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds without any frame after which the connection counts as dead.
   * @default 2 * heartbeatInterval (one heartbeat may be late)
   */
  maxSilence?: number;
  /**
   * Milliseconds between client `{"message":"ping"}`s; 0 relies on the server's heartbeat alone.
   * @default 0
   */
  pingInterval?: number;
  /**
   * Milliseconds a ping may wait for its pong.
   * @default 10000
   */
  pongTimeout?: number;
  /**
   * Close-code verdicts.
   * @default CLOSE_CODES
   */
  closeCodes?: Readonly<Record<number, CloseCodeVerdict>>;
  /**
   * Backoff options passed to the session's `retry`.
   * @default {}
   */
  retry?: PresetRetryConfig;
}

/**
 * What {@link genesysNotifications} returns: spread it into `connect()`'s config.
 *
 * @example
 * const preset: GenesysNotificationsPreset = genesysNotifications({ channelUrl: channel.connectUri });
 * const session = connect({ WebSocketCtor: WebSocket, ...preset });
 */
export interface GenesysNotificationsPreset {
  /** Returns the channel URL; a function so the session never keeps the credential-bearing URL. */
  readonly url: () => string;
  /** Codec of a notification event (`topicName` and `eventBody`). */
  readonly inbound: typeof GenesysNotification;
  /** Liveness from the server's heartbeat (`maxSilence`), plus client pings when `pingInterval` > 0. */
  readonly heartbeat: Omit<HeartbeatConfig, 'scheduler'>;
  /** Recognises `v2.system.socket_closing`: the session reconnects before the server closes. */
  readonly drain: FrameMatcher;
  /** Reconnect policy: the `closeCodes` verdicts and the `retry` option's backoff. */
  readonly retry: Omit<RetryWithBackoffConfig, 'scheduler'>;
}

/**
 * Preset for a Genesys Cloud Notifications channel: no auth frame (the channel URL is the
 * credential), liveness from the server's 30 s heartbeat (`maxSilence`; heartbeats and pongs are
 * consumed), optional client pings, and a proactive reconnect on `v2.system.socket_closing`. The
 * session opens one socket at a time, as the channel requires (a second one would replace it).
 *
 * @example
 * const session = connect({ WebSocketCtor: WebSocket, ...genesysNotifications({ channelUrl: channel.connectUri }) });
 * session.messages$.subscribe((event) => console.log(event.topicName));
 * // v2.users.4f1c.presence
 * @see GenesysNotification
 */
export function genesysNotifications(options: GenesysNotificationsOptions): GenesysNotificationsPreset {
  const {
    channelUrl,
    heartbeatInterval = 30_000,
    maxSilence = 2 * heartbeatInterval,
    pingInterval = 0,
    pongTimeout = 10_000,
    closeCodes = CLOSE_CODES,
    retry = {},
  } = options ?? ({} as GenesysNotificationsOptions);
  assertChannelUrl(channelUrl);
  if (!(maxSilence > 0)) throw new TypeError(`genesysNotifications: maxSilence must be a number > 0, got ${String(maxSilence)}`);
  return {
    // A function: the URL is read at connect time and not kept in an error or a log by the session.
    url: () => channelUrl,
    inbound: GenesysNotification,
    heartbeat: {
      interval: pingInterval,
      timeout: pongTimeout,
      ping: () => ({ message: 'ping' }),
      pong: isGenesysPong,
      maxSilence,
      serverPing: isGenesysHeartbeat,
    },
    drain: isGenesysSocketClosing,
    retry: { ...retry, shouldRetry: retryPolicy(closeCodes) },
  };
}

/** Rejects a malformed channel URL up front, without echoing it (a WebSocket constructor would). */
function assertChannelUrl(channelUrl: unknown): asserts channelUrl is string {
  let protocol: string | undefined;
  try {
    protocol = typeof channelUrl === 'string' ? new URL(channelUrl).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'wss:' && protocol !== 'ws:') {
    throw new TypeError("genesysNotifications: channelUrl must be the channel's connectUri (a wss:// URL); the value given is not one");
  }
}
