import { redactSecrets } from './redact.js';

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
  /** Strings that must never be printed (the token), neither as they are nor JSON-escaped in any way. */
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
 * token; frames are redacted before they are cut, so a token straddling the cut cannot leak half.
 * On a TTY a status line (a countdown) is redrawn in place below the timeline.
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
    if (this.options.json) this.emit(JSON.stringify({ at: this.options.elapsed(), event, ...fields, ...(detail ? { detail } : {}) }));
    else this.emit(`${String(this.options.elapsed()).padStart(6)} ms  ${event.padEnd(15)} ${detail}`.trimEnd());
  }

  /** A frame in (`←`) or out (`→`), redacted and cut. */
  frame(direction: 'in' | 'out', data: unknown): void {
    const text = this.cut(typeof data === 'string' ? this.redact(data) : `<binary ${sizeOf(data)} bytes>`);
    if (this.options.json) this.emit(JSON.stringify({ at: this.options.elapsed(), event: 'frame', direction, data: text }));
    else this.event(direction === 'out' ? '→ out' : '← in', text);
  }

  /** Free text outside the timeline (the verdict, hints); in JSON mode an object instead. */
  text(text: string, fields?: Record<string, unknown>): void {
    if (this.options.json) {
      if (fields) this.emit(JSON.stringify({ at: this.options.elapsed(), ...fields }));
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

  /** `text` with every secret, also JSON-escaped (`\/`, `\u002f`, `\"`...), replaced by {@link REDACTED}. */
  redact(text: string): string {
    return redactSecrets(text, this.options.secrets, REDACTED);
  }

  private cut(text: string): string {
    const { maxFrame } = this.options;
    return text.length > maxFrame ? `${text.slice(0, maxFrame)}… (${text.length} chars, cut at --max-frame ${maxFrame})` : text;
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
