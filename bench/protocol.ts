/**
 * The bench's wire protocol and codecs, shared by the bench server and every client variant.
 *
 * A deliberately small protocol (the reference gateway's shape, minus its checks) so the server
 * costs as little as possible and every client pays the same:
 *
 *   client -> server                         server -> client
 *   {"type":"auth","token":"..."}   first    {"type":"auth_ok","sessionId":"s-1","expiresAt":...}
 *   {"type":"ping"}                          {"type":"pong"}
 *   {"type":"flood","count":N}               N chat messages, as fast as the socket drains
 *   {"type":"echo","id":n}                   one chat message with that id
 *   {"type":"halfopen"}                      nothing, ever again: the server stops reading and writing
 *
 * Browser-safe (no Node imports), like lib/testing/gateway-protocol.ts.
 */
import * as t from 'io-ts';

/** The realistic chat message every benchmark decodes: 8 fields, a nested object and an array, ~300 bytes. */
export const ChatMessage = t.type({
  type: t.literal('message'),
  id: t.number,
  room: t.string,
  author: t.type({ id: t.string, name: t.string, avatarUrl: t.string }),
  text: t.string,
  mentions: t.array(t.string),
  sentAt: t.number,
  edited: t.boolean,
});
export type ChatMessage = t.TypeOf<typeof ChatMessage>;

/** The server's answer to the auth frame. */
export const AuthOk = t.type({ type: t.literal('auth_ok'), sessionId: t.string, expiresAt: t.number });
export type AuthOk = t.TypeOf<typeof AuthOk>;

/** The server's answer to a ping. */
export const Pong = t.type({ type: t.literal('pong') });
export type Pong = t.TypeOf<typeof Pong>;

/** Never sent by the bench server; recognised by `reauthOnExpiry` so the operator does its per-frame work. */
export const AuthExpired = t.type({ type: t.literal('auth_expired') });
export type AuthExpired = t.TypeOf<typeof AuthExpired>;

/** The opaque token every client sends. */
export const TOKEN = 'bench-token-3f9c2a7e';

/** The auth frame, as every client builds it. */
export const authFrame = (token: string) => ({ type: 'auth', token });

/** The heartbeat ping, as every client builds it. */
export const pingFrame = () => ({ type: 'ping' });

const ROOMS = ['general', 'random', 'engineering', 'support'];
const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Barbara Liskov', 'Edsger Dijkstra'];
const TEXTS = [
  'Shipping the benchmark suite today; numbers look good so far, more after lunch. Ping me if it misbehaves.',
  'Can someone review the reconnect PR? The storm test now spreads attempts over the whole first window.',
  'Reminder: the gateway rotates tokens every five minutes, so re-auth on the same socket must stay cheap.',
  'Half-open sockets are the worst: the TCP stack says all is fine while nothing ever comes back to us.',
];

/** A chat message with the given id; its other fields vary with the id. About 300 bytes of JSON. */
export function chatMessage(id: number): ChatMessage {
  const user = `u-${1000 + (id % 97)}`;
  return {
    type: 'message',
    id,
    room: ROOMS[id % ROOMS.length]!,
    author: { id: user, name: NAMES[id % NAMES.length]!, avatarUrl: `https://cdn.example.com/avatars/${user}.png` },
    text: TEXTS[id % TEXTS.length]!,
    mentions: id % 3 === 0 ? [] : [`u-${1000 + ((id * 7) % 97)}`, `u-${1000 + ((id * 13) % 97)}`],
    sentAt: 1_732_460_000_000 + id,
    edited: id % 5 === 0,
  };
}
