import type * as t from 'io-ts';
import type { OperatorFunction, Subscriber } from 'rxjs';
import { checkOption } from '../check-option.js';
import { decodeSlowly, fastPathFor, type Guard } from '../decode.js';
import type { DecodeError } from '../errors.js';
import { NOT_JSON } from '../inbound-frame.js';
import { LayerSubscriber } from '../layer-subscriber.js';
import type { SocketEvent } from '../socket-event.js';
import { socketLayer } from '../socket-layer.js';

/** Configuration of {@link messages}. */
export interface MessagesConfig {
  /**
   * What a frame that is not JSON or fails the codec does: 'report' passes a `DecodeError` to
   * `onInvalid` and goes on; 'error' ends the stream with it.
   * @default 'report'
   */
  invalid?: 'report' | 'error';
  /**
   * Receives every rejected frame as a typed `DecodeError` (the documented channel for bad input).
   * @default a console.warn of the error's message (which never contains the frame's long strings)
   */
  onInvalid?: (error: DecodeError) => void;
}

/**
 * The typed end of the pipeline: decodes each inbound frame with an io-ts codec and emits the
 * decoded value, typed `t.TypeOf<typeof codec>`. Lifecycle events are dropped. A frame that is not
 * JSON or does not match is reported (not fatal) unless `invalid: 'error'`. So is a frame on which
 * the codec itself throws (a predicate with a bug, a recursive codec overflowing the stack on a
 * deeply nested frame): a `DecodeError` of kind 'schema' whose issue names what was thrown.
 *
 * @example
 * const ChatMessage = t.type({ type: t.literal('message'), id: t.number, text: t.string });
 * socket$.pipe(messages(ChatMessage, { onInvalid: (e) => console.log(e.message) }))
 *   .subscribe((m) => console.log(m.text));
 * // hello
 * // a frame does not match the codec: at .id: expected number, got "x"
 * @see DecodeError
 */
export function messages<C extends t.Mixed>(codec: C, config: MessagesConfig = {}): OperatorFunction<SocketEvent, t.TypeOf<C>> {
  checkOption(
    typeof (codec as { decode?: unknown } | undefined)?.decode === 'function',
    'messages',
    'codec must be an io-ts codec (with a decode function)',
  );
  const { invalid = 'report', onInvalid = warnInvalid } = config;
  checkOption(invalid === 'report' || invalid === 'error', 'messages', "invalid must be 'report' or 'error'");
  // Hot path: a valid frame costs one compiled guard and no allocation (see lib/decode.ts). Neither
  // the guard nor decodeSlowly throws, whatever the codec does, so no try/catch is needed here.
  const accepts = fastPathFor(codec);

  const settings: MessagesSettings = { codec, accepts, invalid, onInvalid };
  return socketLayer(MessageFilter<t.TypeOf<C>>, settings);
}

/** The validated options, built once per `messages()` call and shared by its subscriptions. */
interface MessagesSettings {
  readonly codec: t.Mixed;
  readonly accepts: Guard | undefined;
  readonly invalid: 'report' | 'error';
  readonly onInvalid: (error: DecodeError) => void;
}

/**
 * One subscription's observer. A class, not closures: thousands of sessions share its methods
 * (memory per session, see bench/RESULTS.md).
 */
class MessageFilter<A> extends LayerSubscriber<SocketEvent, A> {
  readonly #settings: MessagesSettings;

  constructor(subscriber: Subscriber<A>, settings: MessagesSettings) {
    super(subscriber);
    this.#settings = settings;
  }

  protected override handle(event: SocketEvent): void {
    if (event.type !== 'frame') return;
    const { frame } = event;
    const value = frame.json;
    if (value === NOT_JSON) {
      this.reject(frame.error!);
      return;
    }
    const { accepts, codec } = this.#settings;
    if (accepts?.(value)) {
      this.subscriber.next(value as A);
      return;
    }
    const result = decodeSlowly<A>(codec, value, () => frame.preview(), frame.size);
    if (result.ok) this.subscriber.next(result.value);
    else this.reject(result.error);
  }

  private reject(error: DecodeError): void {
    const { invalid, onInvalid } = this.#settings;
    if (invalid === 'error') this.fail(error);
    else onInvalid(error); // a throw errors the output (see LayerSubscriber)
  }
}

function warnInvalid(error: DecodeError): void {
  console.warn(`rxjs-socket-pipeline: ${error.message}`);
}
