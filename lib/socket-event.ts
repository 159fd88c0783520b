import type { InboundFrame } from './inbound-frame.js';
import type { SocketConnection } from './socket-connection.js';

/** A socket was created and is connecting. The first event of every (re)connect. */
export interface ConnectingEvent {
  readonly type: 'connecting';
  readonly connection: SocketConnection;
}

/** The socket is OPEN. */
export interface OpenEvent {
  readonly type: 'open';
  readonly connection: SocketConnection;
}

/** A frame arrived (and no operator upstream consumed it). */
export interface FrameEvent {
  readonly type: 'frame';
  readonly connection: SocketConnection;
  readonly frame: InboundFrame;
}

/** The server acknowledged the auth frame: app traffic may flow. */
export interface AuthenticatedEvent {
  readonly type: 'authenticated';
  readonly connection: SocketConnection;
  /** `true` when this ack answered a re-auth on the same socket. */
  readonly reauth: boolean;
}

/** A re-auth on the same socket started; app frames are held until it is acknowledged. */
export interface ReauthenticatingEvent {
  readonly type: 'reauthenticating';
  readonly connection: SocketConnection;
  /** 'expired': the server said the token expired; 'refresh': proactive, before the JWT's `exp`. */
  readonly trigger: 'expired' | 'refresh';
}

/** The stream failed with a retryable error; a new socket will be tried after `delay` ms. */
export interface ReconnectingEvent {
  readonly type: 'reconnecting';
  /** 1 for the first reconnect after a failure, counting up until the session has been up long enough. */
  readonly attempt: number;
  /** Milliseconds until the attempt. */
  readonly delay: number;
  /** The error that ended the previous connection. */
  readonly cause: unknown;
}

/**
 * What flows between the pipeline's operators. `fromWebSocket` emits connecting, open and frame
 * events; the operators add the rest and consume the frames that belong to them (acks, pongs,
 * expiry notices).
 */
export type SocketEvent = ConnectingEvent | OpenEvent | FrameEvent | AuthenticatedEvent | ReauthenticatingEvent | ReconnectingEvent;
