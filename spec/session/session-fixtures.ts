import * as t from 'io-ts';
import { map, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { connect, type ConnectConfig, type SocketSession } from '../../lib/session/connect.js';
import type { SessionState } from '../../lib/session/session-state.js';
import { scriptedWebSocket, serverFrame, type ScriptedWebSocket, type ServerAction } from '../../lib/testing/scripted-web-socket.js';

/** Inbound app messages of the scripted server. */
export const Msg = t.type({ type: t.literal('message'), id: t.number, text: t.string });
export type Msg = t.TypeOf<typeof Msg>;
/** Outbound app messages. */
export const Send = t.type({ type: t.literal('send'), clientId: t.string, text: t.string });
export type Send = t.TypeOf<typeof Send>;
export const AuthOk = t.type({ type: t.literal('auth_ok') });
export const AuthExpired = t.type({ type: t.literal('auth_expired') });

export const TOKEN = 'canary-token-7d1c';

export const ack = serverFrame({ type: 'auth_ok' });
export const msg = (id: number, text = `m${id}`): ServerAction => serverFrame({ type: 'message', id, text });
export const accepted = (clientId: string): ServerAction => serverFrame({ type: 'accepted', clientId });
export const send = (clientId: string, text = clientId): Send => ({ type: 'send', clientId, text });

/** A session over scripted sockets in virtual time, with the reference-gateway-like auth. */
export function scriptedSession(
  scheduler: TestScheduler,
  scriptFor: (index: number) => Observable<ServerAction>,
  overrides: Partial<ConnectConfig<Msg, Send, string, number>> = {},
): { session: SocketSession<Msg, Send>; sockets: ScriptedWebSocket[] } {
  const { WebSocketCtor, sockets } = scriptedWebSocket(scheduler, scriptFor);
  const session = connect<Msg, Send, string, number>({
    url: 'ws://gateway.localhost',
    WebSocketCtor,
    scheduler,
    inbound: Msg,
    outbound: Send,
    token: TOKEN,
    auth: {
      message: (token, { lastId }) => (lastId === undefined ? { type: 'auth', token } : { type: 'auth', token, resumeFrom: lastId }),
      ack: AuthOk,
      timeout: 50,
    },
    retry: { initialDelay: 10, jitter: 'none', maxDelay: 100 },
    grace: 5,
    ...overrides,
  });
  return { session, sockets };
}

/** A state as a short marble value: `ready`, `reconnecting:1:10`, `closed:ErrorName`... */
export function describeState(state: SessionState): string {
  switch (state.type) {
    case 'reconnecting':
      return `reconnecting:${state.attempt}:${state.delay}`;
    case 'reauthenticating':
      return `reauthenticating:${state.trigger}`;
    case 'closed':
      return state.error === undefined ? 'closed' : `closed:${(state.error as Error).name}`;
    default:
      return state.type;
  }
}

export const states = (session: SocketSession<unknown, unknown>) => session.state$.pipe(map(describeState));

/** Frames a scripted socket received, parsed. */
export const sentBy = (socket: ScriptedWebSocket | undefined): unknown[] => socket?.sentValues() ?? [];
/** Frames with the virtual time they were written at. */
export const sentAt = (socket: ScriptedWebSocket | undefined): [number, unknown][] =>
  (socket?.sent ?? []).map((frame) => [frame.at, JSON.parse(frame.data) as unknown]);

/**
 * Records what an Observable does, as `frame value` lines (`12 ready`, `20 complete`,
 * `30 error AuthClosedError`), so a test can state a whole timeline in one deep-equal.
 */
export function timeline<T>(
  scheduler: TestScheduler,
  source$: Observable<T>,
  show: (value: T) => string = (value) => (typeof value === 'string' ? value : JSON.stringify(value)),
): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const subscription = source$.subscribe({
    next: (value) => lines.push(`${scheduler.now()} ${show(value)}`),
    error: (error: unknown) => lines.push(`${scheduler.now()} error ${(error as Error).name}`),
    complete: () => lines.push(`${scheduler.now()} complete`),
  });
  return { lines, stop: () => subscription.unsubscribe() };
}
