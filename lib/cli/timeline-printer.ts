import { redactHead, redactSecrets } from './redact.js';

/** Where the probe writes: `process.stdout`, or a fake in tests. */
export interface ProbeOutput {
  write(chunk: string): unknown;
  /** A terminal gets a live countdown redrawn in place; anything else gets plain lines only. */
  readonly isTTY?: boolean;
}

/** Options of a {@link TimelinePrinter}. */
export interface TimelinePrinterOptions {
  /** One JSON object per line instead of text. */
  readonly json: boolean;
  /** Strings that must never be printed (the token), neither as they are nor encoded, nor a cut piece of one. */
  readonly secrets: readonly string[];
  /** Frames longer than this many characters are cut. */
  readonly maxFrame: number;
  /** Milliseconds since the probe started. */
  readonly elapsed: () => number;
}

/** The redaction of every secret in printed text. */
export const REDACTED = '***';

/**
 * Prints the probe's timeline: one line per state, frame and note, with the elapsed ms, either as
 * text or as JSON lines. Every line passes through the redaction, so no code path can print the
 * token; each string of a line is redacted on its own first (its end is where a clipped message
 * ends, so a cut piece of the token there is found). Frames are redacted before they are cut, so a
 * token straddling the cut cannot leak half; only their start is redacted (as much as is printed,
 * and a margin), so a frame of 100 MB costs what one of a few kB does. On a TTY a status line (a
 * countdown) is redrawn in place below the timeline.
 */
export class TimelinePrinter {
  private statusShown = false;

  constructor(
    private readonly output: ProbeOutput,
    private readonly options: TimelinePrinterOptions,
  ) {}

  /** Whether a countdown can be drawn (a terminal, and not JSON mode). */
  get live(): boolean {
    return this.output.isTTY === true && !this.options.json;
  }

  /** A timeline entry: `event` is a short word (`connecting`, `ready`...), `detail` plain words. */
  event(event: string, detail = '', fields: Record<string, unknown> = {}): void {
    const redacted = this.redact(detail);
    if (this.options.json) {
      this.emit(
        JSON.stringify({ at: this.options.elapsed(), event, ...this.redactFields(fields), ...(redacted ? { detail: redacted } : {}) }),
      );
    } else {
      this.emit(`${String(this.options.elapsed()).padStart(6)} ms  ${event.padEnd(15)} ${redacted}`.trimEnd());
    }
  }

  /** A frame in (`←`) or out (`→`), redacted and cut. */
  frame(direction: 'in' | 'out', data: unknown): void {
    const text = typeof data === 'string' ? this.redactAndCut(data) : `<binary ${sizeOf(data)} bytes>`;
    if (this.options.json) this.emit(JSON.stringify({ at: this.options.elapsed(), event: 'frame', direction, data: text }));
    else this.event(direction === 'out' ? '→ out' : '← in', text);
  }

  /** Free text outside the timeline (the verdict, hints); in JSON mode an object instead. */
  text(text: string, fields?: Record<string, unknown>): void {
    if (this.options.json) {
      if (fields) this.emit(JSON.stringify({ at: this.options.elapsed(), ...this.redactFields(fields) }));
    } else {
      this.emit(text);
    }
  }

  /** Draws (or, with `undefined`, clears) the live status line; a no-op unless {@link live}. */
  status(text: string | undefined): void {
    if (!this.live) return;
    if (text === undefined) {
      if (this.statusShown) this.output.write('\r\x1b[2K');
      this.statusShown = false;
      return;
    }
    this.output.write(`\r\x1b[2K${this.redact(text)}`);
    this.statusShown = true;
  }

  /**
   * `text` with every secret, also JSON-escaped (`\/`, `\u002f`, `\"`...) or percent-encoded, and
   * every cut piece of one (at the end of `text` or before `...`/`…`), replaced by {@link REDACTED}.
   */
  redact(text: string): string {
    return redactSecrets(text, this.options.secrets, REDACTED);
  }

  /** A frame redacted, then cut at `maxFrame` (the length given is the frame's own). */
  private redactAndCut(text: string): string {
    const { maxFrame } = this.options;
    const { head, complete } = redactHead(text, this.options.secrets, REDACTED, maxFrame);
    return complete ? head : `${head}… (${text.length} chars, cut at --max-frame ${maxFrame})`;
  }

  /** Every string in `value` (a field, the items of an array, the values of a plain object) redacted on its own. */
  private redactFields<T>(value: T, depth = 0): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (depth > 8 || typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((item: unknown) => this.redactFields(item, depth + 1)) as T;
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return value; // the whole line is still redacted
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactFields(item, depth + 1)])) as T;
  }

  /** Writes a line above the status line (cleared; the next countdown tick redraws it). */
  private emit(line: string): void {
    this.status(undefined);
    this.output.write(`${this.redact(line)}\n`);
  }
}

function sizeOf(data: unknown): number {
  const binary = data as { byteLength?: number; size?: number; length?: number } | null;
  return binary?.byteLength ?? binary?.size ?? binary?.length ?? 0;
}
