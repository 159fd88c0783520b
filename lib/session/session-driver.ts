import type * as t from 'io-ts';
import type { MonoTypeOperatorFunction, Subscriber } from 'rxjs';
import { decodeSlowly } from '../decode.js';
import { NOT_JSON } from '../inbound-frame.js';
import { SocketLayer, socketLayer } from '../socket-layer.js';
import type { SocketConnection } from '../socket-connection.js';
import type { SocketEvent } from '../socket-event.js';
import type { SendAckConfig } from './connect.js';
import type { ResumeTracker } from './resume.js';
import type { SendQueue, Writer } from './send-queue.js';
import type { StateCell } from './session-state.js';

/** What the session's events change, shared with the rest of `connect()`. */
export interface LiveSocket {
  /** The socket of the current connect, for the queue's writer. */
  connection: SocketConnection | undefined;
  /** The frame `auth.ack` recognised last on this socket, for `resume.fromAck`. */
  ackFrame: { readonly value: unknown } | undefined;
}

/** One session's parts the driver works on; built once per `connect()`. */
export interface DriveSettings {
  readonly live: LiveSocket;
  readonly state: StateCell;
  readonly queue: Pick<SendQueue<unknown>, 'setWriter' | 'requeueInFlight' | 'retryAfter' | 'fail' | 'acknowledge'>;
  readonly writer: Writer;
  readonly tracker: Pick<ResumeTracker<unknown, unknown>, 'adoptAck'> | undefined;
  readonly inbound: t.Mixed;
  readonly retryAfter: ((frame: unknown) => number | undefined) | undefined;
  readonly sendAck: Pick<SendAckConfig<never>, 'ackedKey' | 'failed'> | undefined;
  /** Whether `close()` or a failure ended the session. */
  readonly isClosed: () => boolean;
}

/**
 * The session's own layer over the composed operators: turns socket events into `state$`, opens
 * and shuts the send queue, and consumes protocol frames (retry-after answers, send acks and
 * refusals). A class, not closures (memory per session, see bench/RESULTS.md); `#` members, which a
 * minifier shortens (it cannot shorten TypeScript's `private` names).
 */
export function driveSession(settings: DriveSettings): MonoTypeOperatorFunction<SocketEvent> {
  return socketLayer(SessionDriver, settings);
}

class SessionDriver extends SocketLayer {
  readonly #settings: DriveSettings;

  constructor(subscriber: Subscriber<SocketEvent>, settings: DriveSettings) {
    super(subscriber);
    this.#settings = settings;
  }

  protected override handle(event: SocketEvent): void {
    const { live, state, queue } = this.#settings;
    switch (event.type) {
      case 'connecting':
        live.connection = event.connection;
        live.ackFrame = undefined;
        queue.setWriter(undefined);
        queue.requeueInFlight();
        state.set({ type: 'connecting' });
        break;
      case 'open':
        if (event.connection.phase === 'ready') SessionDriver.#becomeReady(this);
        else state.set({ type: 'authenticating' });
        break;
      case 'authenticated': {
        const ack = live.ackFrame;
        live.ackFrame = undefined;
        // Before the frames held during auth flow on, so their ids move the position past it. A
        // throwing fromAck ends the session (see LayerSubscriber).
        if (ack && !event.reauth) this.#settings.tracker?.adoptAck(ack.value);
        SessionDriver.#becomeReady(this);
        break;
      }
      case 'reauthenticating':
        queue.setWriter(undefined);
        state.set({ type: 'reauthenticating', trigger: event.trigger });
        break;
      case 'reconnecting':
        live.connection = undefined;
        queue.setWriter(undefined);
        state.set({ type: 'reconnecting', attempt: event.attempt, delay: event.delay, cause: event.cause });
        break;
      case 'frame':
        if (consumed(this.#settings, event.frame.json)) return;
        break;
    }
    this.subscriber.next(event);
  }

  protected override stop(): void {
    const { live, state, queue, isClosed } = this.#settings;
    live.connection = undefined;
    queue.setWriter(undefined);
    if (!isClosed()) state.set({ type: 'idle' });
  }

  // Static: a `#method` would add a hidden brand field to every instance.
  static #becomeReady(driver: SessionDriver): void {
    const { state, queue, writer } = driver.#settings;
    state.set({ type: 'ready' });
    // A state$ handler may have made the last subscriber leave (grace 0): no writer for a gone socket.
    if (!driver.subscriber.closed) queue.setWriter(writer);
  }
}

/** Whether `value` is a protocol frame the session handled (a throw from user code ends it). */
function consumed({ retryAfter, sendAck, queue, inbound }: DriveSettings, value: unknown): boolean {
  if (value === NOT_JSON || (!retryAfter && !sendAck)) return false;
  const wait = retryAfter?.(value);
  if (wait !== undefined) {
    queue.retryAfter(wait);
    return true;
  }
  const key = sendAck?.ackedKey(value);
  const refusal = key === undefined ? sendAck?.failed?.(value) : undefined;
  if (refusal !== undefined) queue.fail(refusal.key, refusal.error);
  if (key !== undefined) queue.acknowledge(key);
  // An ack or refusal the app's codec does not describe is protocol, not a bad frame: consumed.
  return (key !== undefined || refusal !== undefined) && !decodeSlowly(inbound, value, noPath, 0).ok;
}

const noPath = () => '';
