import { DecodeError } from './errors.js';

/**
 * What {@link InboundFrame.json} returns for a frame that is not JSON text.
 *
 * @example
 * const value = event.frame.json;
 * if (value === NOT_JSON) console.warn(event.frame.error?.message);
 * // a frame of 9 bytes is not valid JSON
 */
export const NOT_JSON: unique symbol = Symbol('NOT_JSON');

const PREVIEW_LENGTH = 200;

/**
 * One frame as received. JSON is parsed at most once, lazily, however many operators look at it,
 * because parsing dominates the cost of a message pipeline.
 *
 * @example
 * fromWebSocket(url).subscribe((event) => {
 *   if (event.type === 'frame') console.log(event.frame.size, event.frame.json);
 *   // 30 { type: 'message', text: 'hi' }
 * });
 */
export class InboundFrame {
  private parsed: unknown = UNPARSED;
  private failure: DecodeError | undefined;

  constructor(
    /** The raw payload: a string for text frames, binary otherwise. */
    readonly data: unknown,
    /** Frames longer than this are not parsed and are reported as too large. */
    readonly maxBytes: number = Infinity,
  ) {}

  /** Length of a text frame in UTF-16 code units, or byte length of a binary one. */
  get size(): number {
    const { data } = this;
    if (typeof data === 'string') return data.length;
    const binary = data as { length?: number; byteLength?: number; size?: number };
    return binary.byteLength ?? binary.size ?? binary.length ?? 0;
  }

  /** The parsed JSON value, or {@link NOT_JSON} when the frame is binary, too large or not JSON. */
  get json(): unknown {
    if (this.parsed === UNPARSED) this.parse();
    return this.parsed;
  }

  /** Why {@link json} is {@link NOT_JSON}, as a typed error; `undefined` for a JSON frame. */
  get error(): DecodeError | undefined {
    if (this.parsed === UNPARSED) this.parse();
    return this.failure;
  }

  /** The start of the frame, for error reports. */
  preview(): string {
    return typeof this.data === 'string' ? this.data.slice(0, PREVIEW_LENGTH) : `<binary ${this.size} bytes>`;
  }

  // Not a `#` method: V8 would give every frame an extra brand slot for it.
  private parse(): void {
    const { data } = this;
    let kind: DecodeError['kind'];
    // An oversized binary frame is 'too-large' too (maxFrameBytes counts its bytes).
    if (typeof data !== 'string') kind = this.size > this.maxBytes ? 'too-large' : 'binary';
    else if (data.length > this.maxBytes) kind = 'too-large';
    else {
      try {
        this.parsed = JSON.parse(data);
        return;
      } catch {
        kind = 'json';
      }
    }
    this.parsed = NOT_JSON;
    this.failure = new DecodeError(kind, [], kind === 'too-large' ? '' : this.preview(), this.size);
  }
}

// Pure: an operator that only reads NOT_JSON does not keep it in its bundle.
const UNPARSED = /* @__PURE__ */ Symbol('UNPARSED');
