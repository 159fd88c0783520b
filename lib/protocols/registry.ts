import * as t from 'io-ts';
import type { ConnectConfig } from '../session/connect.js';
import type { FramePattern } from './frame-pattern.js';
import { genericJson } from './generic-json.js';
import { genesysNotifications } from './genesys-notifications.js';
import { genesysWebMessaging } from './genesys-web-messaging.js';
import { graphqlWs } from './graphql-ws.js';

/**
 * One option a preset takes from a command line.
 *
 * @example
 * for (const option of PRESETS['generic-json']!.options) console.log(`${option.name}${option.required ? ' (required)' : ''}: ${option.description}`);
 */
export interface PresetOption {
  /** The option's name (`--opt name=value` style). */
  readonly name: string;
  /** What it is, in one line, for `--help`. */
  readonly description: string;
  /**
   * Whether the preset cannot work without it.
   * @default false
   */
  readonly required?: boolean;
  /**
   * A credential (a token, a channel URL): never print it, read it from the environment.
   * @default false
   */
  readonly secret?: boolean;
}

/**
 * Option values as a command line gives them: strings, absent when not given.
 *
 * @example
 * const input: PresetInput = { url: 'ws://127.0.0.1:8080/ws', token: process.env.API_TOKEN, pingInterval: '10000' };
 */
export type PresetInput = Readonly<Record<string, string | undefined>>;

/**
 * A session config built from a preset, with every type parameter erased (for tools like the probe CLI).
 *
 * @example
 * const config: PresetConnectConfig = PRESETS['graphql-ws']!.create({ url: 'ws://127.0.0.1:4000/graphql' });
 * connect({ ...config, WebSocketCtor: WebSocket });
 */
export type PresetConnectConfig = ConnectConfig<unknown, unknown, unknown, unknown>;

/**
 * One entry of {@link PRESETS}.
 *
 * @example
 * const entry: PresetEntry | undefined = PRESETS[name];
 * if (!entry) throw new Error(`unknown preset ${name}: ${Object.keys(PRESETS).join(', ')}`);
 */
export interface PresetEntry {
  /** One line: which protocol, what the preset does. */
  readonly description: string;
  /** The options `create` reads (`url` and `token` included where they apply). */
  readonly options: readonly PresetOption[];
  /**
   * Builds a `connect()` config (without `WebSocketCtor`) from string options. Throws a
   * `TypeError` naming the option that is missing or malformed (never echoing a secret).
   */
  readonly create: (input: PresetInput) => PresetConnectConfig;
}

/**
 * Every protocol preset by name, with a factory from CLI-style string options, for tools that
 * pick the protocol at run time (the probe CLI). Apps call the preset functions directly.
 *
 * @example
 * const entry = PRESETS['graphql-ws'];
 * const config = entry.create({ url: 'ws://127.0.0.1:4000/graphql', token: process.env.API_TOKEN, connectionParams: '{"authToken":"{{token}}"}' });
 * const session = connect({ ...config, WebSocketCtor: WebSocket });
 * console.log(Object.keys(PRESETS).join(', '));
 * // generic-json, graphql-ws, genesys-web-messaging, genesys-notifications
 * @see genericJson, graphqlWs, genesysWebMessaging, genesysNotifications
 */
export const PRESETS: Readonly<Record<string, PresetEntry>> = {
  'generic-json': {
    description: 'JSON auth frame with the token, ack, optional reject and expiry notice, ping/pong (field names configurable)',
    options: [
      { name: 'url', description: 'the endpoint (ws:// or wss://)', required: true },
      { name: 'token', description: 'the token sent in the auth frame', required: true, secret: true },
      { name: 'authFrame', description: 'fixed fields of the auth frame as JSON (default {"type":"auth"})' },
      { name: 'tokenField', description: 'field carrying the token (default token)' },
      { name: 'ack', description: 'pattern of the ack as JSON (default {"type":"auth_ok"})' },
      { name: 'reject', description: 'pattern of a refusal as JSON, or none (default {"type":"auth_error"})' },
      { name: 'expired', description: 'pattern of the expiry notice as JSON, or none (default {"type":"auth_expired"})' },
      { name: 'ping', description: 'the ping frame as JSON, or none (default {"type":"ping"})' },
      { name: 'pong', description: 'pattern of the pong as JSON (default {"type":"pong"})' },
      { name: 'pingInterval', description: 'ms between pings (default 25000)' },
      { name: 'authTimeout', description: 'ms the ack may take (default 10000)' },
    ],
    create: (input) => {
      const token = required(input, 'token');
      const pattern = (name: string) => optionalPattern(input, name);
      const patternOrNone = (name: string) => (input[name] === 'none' ? false : pattern(name));
      const preset = genericJson({
        token,
        authFrame: pattern('authFrame'),
        tokenField: input['tokenField'],
        ack: pattern('ack'),
        reject: patternOrNone('reject'),
        expired: patternOrNone('expired'),
        ping: patternOrNone('ping'),
        pong: pattern('pong'),
        pingInterval: optionalNumber(input, 'pingInterval'),
        authTimeout: optionalNumber(input, 'authTimeout'),
      });
      return erase({ url: required(input, 'url'), inbound: t.unknown, ...preset });
    },
  },
  'graphql-ws': {
    description: 'GraphQL over WebSocket (graphql-transport-ws): connection_init/ack, ping/pong, subscribe/next/error/complete',
    options: [
      { name: 'url', description: 'the GraphQL WebSocket endpoint', required: true },
      { name: 'token', description: 'substituted for "{{token}}" in connectionParams', secret: true },
      { name: 'connectionParams', description: 'connection_init payload as JSON; "{{token}}" is replaced by the token' },
      { name: 'pingInterval', description: 'ms between pings, 0 for none (default 20000)' },
      { name: 'ackTimeout', description: 'ms connection_ack may take (default 10000)' },
    ],
    create: (input) => {
      const params = optionalPattern(input, 'connectionParams');
      const token = input['token'];
      const preset = graphqlWs({
        connectionParams: params === undefined ? null : (fillToken(params, token) as FramePattern),
        pingInterval: optionalNumber(input, 'pingInterval'),
        ackTimeout: optionalNumber(input, 'ackTimeout'),
      });
      return erase({ url: required(input, 'url'), ...preset });
    },
  },
  'genesys-web-messaging': {
    description: 'Genesys Cloud Web Messaging guest session: configureSession, echo keepalive, onMessage, 2 msg/s, 429 retryAfter',
    options: [
      { name: 'region', description: "the region's domain, e.g. mypurecloud.com (or give url)" },
      { name: 'deploymentId', description: 'the Messenger deployment id', required: true },
      { name: 'token', description: 'the guest session token (a uuid)', required: true, secret: true },
      { name: 'url', description: 'endpoint override (default wss://webmessaging.<region>/v1?deploymentId=...)' },
      { name: 'pingInterval', description: 'ms between echoes, at least 30000, 0 for none (default 31000)' },
    ],
    create: (input) =>
      erase(
        genesysWebMessaging({
          region: input['region'],
          deploymentId: required(input, 'deploymentId'),
          token: required(input, 'token'),
          url: input['url'],
          pingInterval: optionalNumber(input, 'pingInterval'),
        }),
      ),
  },
  'genesys-notifications': {
    description: 'Genesys Cloud Notifications channel: server heartbeat liveness, ping/pong, reconnect on socket_closing',
    options: [
      { name: 'url', description: "the channel's connectUri (it is the credential)", required: true, secret: true },
      { name: 'heartbeatInterval', description: "ms between the server's heartbeats (default 30000)" },
      { name: 'pingInterval', description: 'ms between client pings, 0 for none (default 0)' },
    ],
    create: (input) =>
      erase(
        genesysNotifications({
          channelUrl: required(input, 'url'),
          heartbeatInterval: optionalNumber(input, 'heartbeatInterval'),
          pingInterval: optionalNumber(input, 'pingInterval'),
        }),
      ),
  },
};

/**
 * Drops the preset's type parameters. Sound here: the caller treats every message as `unknown`,
 * and the token and outbound types stay those the preset itself built its functions for.
 */
function erase<In, Out, TToken>(config: ConnectConfig<In, Out, TToken, unknown>): PresetConnectConfig {
  return config as unknown as PresetConnectConfig;
}

function required(input: PresetInput, name: string): string {
  const value = input[name];
  if (value === undefined || value === '') throw new TypeError(`preset option ${name} is required`);
  return value;
}

function optionalNumber(input: PresetInput, name: string): number | undefined {
  const value = input[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number))
    throw new TypeError(`preset option ${name} must be a number, got ${JSON.stringify(value)}`);
  return number;
}

function optionalPattern(input: PresetInput, name: string): FramePattern | undefined {
  const value = input[name];
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new TypeError(`preset option ${name} must be a JSON object`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TypeError(`preset option ${name} must be a JSON object`);
  return parsed as FramePattern;
}

/** Replaces `{{token}}` inside every string of a parsed JSON value (`"Bearer {{token}}"` too) by the token. */
function fillToken(value: unknown, token: string | undefined): unknown {
  if (typeof value === 'string' && value.includes('{{token}}')) {
    if (token === undefined) throw new TypeError('preset option token is required: connectionParams uses "{{token}}"');
    return value.split('{{token}}').join(token);
  }
  if (Array.isArray(value)) return value.map((item) => fillToken(item, token));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillToken(item, token)]));
  }
  return value;
}
