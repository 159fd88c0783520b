import type * as t from 'io-ts';
import { Observable, type OperatorFunction } from 'rxjs';
import { decodeSlowly, fastPathFor } from '../decode.js';
import type { DecodeError } from '../errors.js';
import { NOT_JSON } from '../inbound-frame.js';
import type { SocketEvent } from '../socket-event.js';

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
  if (typeof (codec as { decode?: unknown } | undefined)?.decode !== 'function') {
    throw new TypeError('messages: codec must be an io-ts codec (with a decode function)');
  }
  const { invalid = 'report', onInvalid = warnInvalid } = config;
  if (invalid !== 'report' && invalid !== 'error') throw new TypeError("messages: invalid must be 'report' or 'error'");
  // Hot path: a valid frame costs one compiled guard and no allocation (see lib/decode.ts). Neither
  // the guard nor decodeSlowly throws, whatever the codec does, so no try/catch is needed here.
  const accepts = fastPathFor(codec);

  return (source) =>
    new Observable<t.TypeOf<C>>((subscriber) => {
      const reject = (error: DecodeError) => {
        if (invalid === 'error') {
          subscriber.error(error);
          return;
        }
        try {
          onInvalid(error);
        } catch (callbackError) {
          subscriber.error(callbackError);
        }
      };
      return source.subscribe({
        next: (event) => {
          if (event.type !== 'frame') return;
          const { frame } = event;
          const value = frame.json;
          if (value === NOT_JSON) {
            reject(frame.error!);
            return;
          }
          if (accepts !== undefined && accepts(value)) {
            subscriber.next(value as t.TypeOf<C>);
            return;
          }
          const result = decodeSlowly<t.TypeOf<C>>(codec, value, () => frame.preview(), frame.size);
          if (result.ok) subscriber.next(result.value);
          else reject(result.error);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

function warnInvalid(error: DecodeError): void {
  console.warn(`rxjs-socket-pipeline: ${error.message}`);
}
