/**
 * Redaction of secrets that a server may echo back in any JSON-escaped form: `\/` for `/`,
 * `\uXXXX` (either hex case) for any character, `\"`, `\\`, `\n`... and a JSON string inside a
 * JSON string. No regular expression is built from a secret: the text is decoded (one layer of
 * JSON string escapes at a time, remembering where each decoded character came from) and each
 * secret is searched for with `indexOf` in the text and in each decoded layer. Linear in the
 * length of the text per layer, with no backtracking whatever the secret holds.
 */

/** How many layers of JSON string escaping are looked through (a JSON string in a JSON string in a frame). */
const MAX_LAYERS = 3;

/** Single-character JSON escapes: `\"` is `"`, `\n` a newline... */
const SHORT_ESCAPES: Readonly<Record<string, number>> = {
  '"': 0x22,
  '\\': 0x5c,
  '/': 0x2f,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
};

/** A text with JSON string escapes decoded, and the range of the original text each code unit came from. */
interface Layer {
  readonly text: string;
  /** `start[i]`..`end[i]` (exclusive): where the code unit `text[i]` is in the original text. */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/**
 * `text` with every secret, as it is or JSON-escaped in any way, replaced by `replacement`.
 *
 * @example
 * redactSecrets('{"echo":"a\\/b"}', ['a/b'], '***'); // '{"echo":"***"}'
 */
export function redactSecrets(text: string, secrets: readonly string[], replacement: string): string {
  const needles = secrets.filter((secret) => secret !== '');
  if (needles.length === 0 || text === '') return text;
  const ranges: [number, number][] = [];
  for (const needle of needles) {
    for (const at of occurrences(text, needle)) ranges.push([at, at + needle.length]);
  }
  let layer: Layer | undefined;
  for (let depth = 0; depth < MAX_LAYERS; depth++) {
    layer = decodeLayer(layer?.text ?? text, layer);
    if (!layer) break;
    for (const needle of needles) {
      for (const at of occurrences(layer.text, needle)) ranges.push([layer.start[at]!, layer.end[at + needle.length - 1]!]);
    }
  }
  return replaceRanges(text, ranges, replacement);
}

/** Where `needle` occurs in `haystack`, left to right, without overlaps (as `split` finds them). */
function* occurrences(haystack: string, needle: string): Generator<number> {
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) yield at;
}

/**
 * One layer of JSON string escapes decoded from `text` (left to right, as a JSON parser reads them;
 * a backslash that starts no valid escape stays as it is), with ranges mapped back through `outer`
 * to the original text. `undefined` when there is no escape to decode.
 */
function decodeLayer(text: string, outer: Layer | undefined): Layer | undefined {
  if (!text.includes('\\')) return undefined;
  const units = new Uint16Array(text.length);
  const start = new Int32Array(text.length);
  const end = new Int32Array(text.length);
  let count = 0;
  for (let i = 0; i < text.length; ) {
    let unit = text.charCodeAt(i);
    let length = 1;
    if (unit === 0x5c && i + 1 < text.length) {
      const short = SHORT_ESCAPES[text[i + 1]!];
      if (short !== undefined) {
        unit = short;
        length = 2;
      } else if (text[i + 1] === 'u' && isHex4(text, i + 2)) {
        unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
        length = 6;
      }
    }
    units[count] = unit;
    start[count] = outer ? outer.start[i]! : i;
    end[count] = outer ? outer.end[i + length - 1]! : i + length;
    count++;
    i += length;
  }
  if (count === text.length) return undefined; // nothing decoded
  return { text: fromCodeUnits(units.subarray(0, count)), start: start.subarray(0, count), end: end.subarray(0, count) };
}

function isHex4(text: string, from: number): boolean {
  if (from + 4 > text.length) return false;
  for (let i = from; i < from + 4; i++) {
    const code = text.charCodeAt(i) | 0x20; // lower-cases letters
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return false;
  }
  return true;
}

/** A string from UTF-16 code units, in chunks (a spread of a long array would overflow the stack). */
function fromCodeUnits(units: Uint16Array): string {
  let text = '';
  for (let i = 0; i < units.length; i += 8192) text += String.fromCharCode(...units.subarray(i, i + 8192));
  return text;
}

/** `text` with each of `ranges` (merged where they overlap) replaced by `replacement`. */
function replaceRanges(text: string, ranges: [number, number][], replacement: string): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let result = '';
  let copied = 0;
  let [from, to] = ranges[0]!;
  for (const [start, end] of ranges.slice(1)) {
    if (start < to) {
      to = Math.max(to, end);
      continue;
    }
    result += text.slice(copied, from) + replacement;
    copied = to;
    [from, to] = [start, end];
  }
  return result + text.slice(copied, from) + replacement + text.slice(to);
}
