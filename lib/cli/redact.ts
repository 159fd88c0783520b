/**
 * Redaction of secrets that a server may echo back encoded: JSON-escaped (`\/` for `/`, `\uXXXX`
 * in either hex case for any character, `\"`, `\\`, `\n`...), percent-encoded (`%2B` or `%2b`,
 * UTF-8 sequences, `%uXXXX`, only some characters encoded as Python's `quote()` does), and any mix
 * or nesting of these (a JSON string inside a JSON string, a URL-encoded value encoded again).
 *
 * No regular expression is built from a secret: the text is decoded one layer at a time (each
 * layer decodes every JSON escape and every `%XX` of the one before, remembering where each decoded
 * character came from in the original text) until a layer decodes nothing, and each secret is
 * searched for with `indexOf` in the text and in each layer. Each layer is shorter than the one
 * before, and there are at most {@link MAX_LAYERS}: linear in the length of the text per layer,
 * with no backtracking whatever the secret holds.
 *
 * A piece of a secret is redacted too (at least {@link MIN_PIECE} characters, or the whole secret
 * when shorter) where something cut the secret: a start of the secret at the end of the text or
 * right before a cut marker (`...`, `…`), and an end of the secret at the start of the text or
 * right after one. A library or a server that clips a message after N characters may cut a token
 * in two; the half that is printed is found this way (a Knuth-Morris-Pratt scan, linear too).
 */

/**
 * How many layers of encoding are looked through (a JSON string in a JSON string in a frame, a
 * URL-encoded value encoded again...). A bound, not a target: decoding stops at the first layer
 * that decodes nothing.
 */
export const MAX_LAYERS = 8;

/** The shortest piece of a cut secret that is redacted (a secret shorter than this only whole). */
export const MIN_PIECE = 8;

/** What a cut leaves behind: `...` (this library's `clip`) and `…`. */
const CUT_MARKERS = ['...', '\u2026'] as const;

/**
 * How much longer than itself an encoded secret is looked for past a cut, by {@link redactHead}:
 * 8 nested JSON layers double every `\` and `/` escape (2^8), 3 layers of `\uXXXX` for every
 * character make it 6^3 = 216 times longer. Capped at {@link MAX_MARGIN} characters (256 KiB, a
 * few tens of ms to decode whatever it holds): a token of 1,000 characters is covered up to 256
 * times its length, one of 10,000 up to 26 times. Past the margin, a start of the secret at the
 * end of the window is still redacted as a cut piece, unless the window ends inside an escape.
 */
const EXPANSION = 256;
const MAX_MARGIN = 1 << 18;

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

/** A text with one layer of escapes decoded, and the range of the original text each code unit came from. */
interface Layer {
  readonly text: string;
  /** `start[i]`..`end[i]` (exclusive): where the code unit `text[i]` is in the original text. */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

type Range = [number, number];

/**
 * `text` with every secret, as it is or encoded in any of the ways above, and every cut piece of
 * one, replaced by `replacement`.
 *
 * @example
 * redactSecrets('{"echo":"a\\/b"}', ['a/b'], '***'); // '{"echo":"***"}'
 * redactSecrets('rejected: 0123456789ab...', ['0123456789abcdef'], '***'); // 'rejected: ***...'
 */
export function redactSecrets(text: string, secrets: readonly string[], replacement: string): string {
  const needles = needlesOf(secrets);
  if (needles.length === 0 || text === '') return text;
  return replaceRanges(text, findRanges(text, needles), replacement, text.length);
}

/**
 * The first `max` characters of `redactSecrets(text, secrets, replacement)`, and whether that is
 * all of it, without redacting all of a long text: only a window of `text` a margin longer than
 * what is kept (the longest form a secret takes in the layers decoded, bounded) is looked at, grown
 * only when redaction shortened the kept part below `max`. A 100 MB frame costs what its start
 * costs: a few ms for a token of 64 characters, a few tens of ms for one of 1,000 or more (the
 * margin is at most 256 KiB).
 *
 * @example
 * redactHead('x'.repeat(10) + 'tok/en' + 'y'.repeat(1e8), ['tok/en'], '***', 12); // { head: 'xxxxxxxxxx**', complete: false }
 */
export function redactHead(
  text: string,
  secrets: readonly string[],
  replacement: string,
  max: number,
): { head: string; complete: boolean } {
  const needles = needlesOf(secrets);
  const longest = Math.max(0, ...needles.map((needle) => needle.length));
  const margin = Math.min(MAX_MARGIN, longest * EXPANSION);
  for (let size = max + margin; ; size *= 2) {
    if (size >= text.length || needles.length === 0) {
      const all = needles.length === 0 ? text : redactSecrets(text, secrets, replacement);
      return all.length > max ? { head: all.slice(0, max), complete: false } : { head: all, complete: true };
    }
    // A range that starts before `safe` is one the whole text has too (it ends within the window):
    // what the window gives up to there is what the whole text gives.
    const safe = size - margin;
    const ranges = findRanges(text.slice(0, size), needles).filter((range) => range[0] < safe);
    const end = ranges.reduce((last, range) => Math.max(last, range[1]), safe);
    const head = replaceRanges(text, ranges, replacement, end);
    if (head.length >= max) return { head: head.slice(0, max), complete: false };
  }
}

/** The secrets and what decoding each gives (a secret that holds `%41` or `\n` is also looked for decoded). */
function needlesOf(secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    needles.add(secret);
    let layer: Layer | undefined;
    for (let depth = 0; depth < MAX_LAYERS; depth++) {
      layer = decodeLayer(layer?.text ?? secret, undefined);
      if (!layer) break;
      if (layer.text.length >= MIN_PIECE) needles.add(layer.text);
    }
  }
  return [...needles];
}

/** The ranges of `text` to redact: each needle, and each cut piece of one, in the text and in each decoded layer. */
function findRanges(text: string, needles: readonly string[]): Range[] {
  const ranges: Range[] = [];
  const search = (haystack: string, map: (from: number, to: number) => Range) => {
    for (const needle of needles) {
      for (const at of occurrences(haystack, needle)) ranges.push(map(at, at + needle.length));
      for (const [from, to] of cutPieces(haystack, needle)) ranges.push(map(from, to));
    }
  };
  search(text, (from, to) => [from, to]);
  let layer: Layer | undefined;
  for (let depth = 0; depth < MAX_LAYERS; depth++) {
    layer = decodeLayer(layer?.text ?? text, layer);
    if (!layer) break;
    const { start, end } = layer;
    search(layer.text, (from, to) => [start[from]!, end[to - 1]!]);
  }
  return ranges;
}

/** Where `needle` occurs in `haystack`, left to right, without overlaps (as `split` finds them). */
function* occurrences(haystack: string, needle: string): Generator<number> {
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) yield at;
}

/**
 * The cut pieces of `needle` in `text` (`[from, to)`): the longest start of the needle (of at least
 * {@link MIN_PIECE} characters, shorter than the needle) that ends at the end of the text or right
 * before a cut marker, and the longest end of it that starts at the start of the text or right
 * after one. Only the needle's length before each such place is scanned.
 */
function cutPieces(text: string, needle: string): Range[] {
  if (needle.length <= MIN_PIECE) return [];
  const pieces: Range[] = [];
  const markers = CUT_MARKERS.flatMap((marker) => [...occurrencesOverlapping(text, marker)].map((at) => [at, at + marker.length]));
  // Starts of the needle: a forward Knuth-Morris-Pratt scan of the text before each end; `matched`
  // is the longest start of the needle that ends at `at` (a match starts at most a needle's length back).
  const ends = [...new Set([...markers.map(([at]) => at!), text.length])].sort((a, b) => a - b);
  const forward = prefixFunction(needle);
  let at = 0;
  let matched = 0;
  for (const end of ends) {
    const from = Math.max(0, end - needle.length + 1);
    if (from > at) [at, matched] = [from, 0];
    while (at < end) matched = advance(needle, forward, matched, text.charCodeAt(at++));
    if (matched >= MIN_PIECE) pieces.push([end - matched, end]);
  }
  // Ends of the needle: the same backwards from each start, with the needle reversed.
  const starts = [...new Set([...markers.map(([, after]) => after!), 0])].sort((a, b) => b - a);
  const reversed = needle.split('').reverse().join(''); // by code unit, as the scan reads the text
  const backward = prefixFunction(reversed);
  at = text.length;
  matched = 0;
  for (const start of starts) {
    const to = Math.min(text.length, start + needle.length - 1);
    if (to < at) [at, matched] = [to, 0];
    while (at > start) matched = advance(reversed, backward, matched, text.charCodeAt(--at));
    if (matched >= MIN_PIECE) pieces.push([start, start + matched]);
  }
  return pieces;
}

/** Where `needle` occurs in `haystack`, overlaps included (`....` holds `...` twice). */
function* occurrencesOverlapping(haystack: string, needle: string): Generator<number> {
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) yield at;
}

/** The Knuth-Morris-Pratt prefix function of `needle`. */
function prefixFunction(needle: string): Int32Array {
  const fail = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle.charCodeAt(i) !== needle.charCodeAt(k)) k = fail[k - 1]!;
    if (needle.charCodeAt(i) === needle.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return fail;
}

/** The matched length after one more code unit; a whole match falls back (it is found by `occurrences`). */
function advance(needle: string, fail: Int32Array, matched: number, unit: number): number {
  let k = matched;
  while (k > 0 && unit !== needle.charCodeAt(k)) k = fail[k - 1]!;
  if (unit === needle.charCodeAt(k)) k++;
  return k === needle.length ? fail[k - 1]! : k;
}

/**
 * One layer of escapes decoded from `text`, left to right as a JSON parser or a URL decoder reads
 * them: JSON string escapes, `%XX` (either hex case; a UTF-8 sequence of them as its character,
 * another byte as the character of that code), and `%uXXXX`. Anything that starts no valid escape
 * stays as it is. Ranges are mapped back through `outer` to the original text. `undefined` when
 * there is nothing to decode.
 */
function decodeLayer(text: string, outer: Layer | undefined): Layer | undefined {
  if (!text.includes('\\') && !text.includes('%')) return undefined;
  const units = new Uint16Array(text.length);
  const start = new Int32Array(text.length);
  const end = new Int32Array(text.length);
  let count = 0;
  const push = (unit: number, from: number, length: number) => {
    units[count] = unit;
    start[count] = outer ? outer.start[from]! : from;
    end[count] = outer ? outer.end[from + length - 1]! : from + length;
    count++;
  };
  for (let i = 0; i < text.length; ) {
    const unit = text.charCodeAt(i);
    if (unit === 0x5c && i + 1 < text.length) {
      const short = SHORT_ESCAPES[text[i + 1]!];
      if (short !== undefined) {
        push(short, i, 2);
        i += 2;
        continue;
      }
      if (text[i + 1] === 'u' && isHex(text, i + 2, 4)) {
        push(Number.parseInt(text.slice(i + 2, i + 6), 16), i, 6);
        i += 6;
        continue;
      }
    } else if (unit === 0x25) {
      if (text[i + 1] === 'u' && isHex(text, i + 2, 4)) {
        push(Number.parseInt(text.slice(i + 2, i + 6), 16), i, 6);
        i += 6;
        continue;
      }
      if (isHex(text, i + 1, 2)) {
        const utf8 = utf8At(text, i);
        if (utf8) {
          const [codePoint, length] = utf8;
          if (codePoint > 0xffff) {
            push(0xd800 + ((codePoint - 0x10000) >> 10), i, length);
            push(0xdc00 + ((codePoint - 0x10000) & 0x3ff), i, length);
          } else {
            push(codePoint, i, length);
          }
          i += length;
        } else {
          push(byteAt(text, i), i, 3);
          i += 3;
        }
        continue;
      }
    }
    push(unit, i, 1);
    i++;
  }
  if (count === text.length) return undefined; // nothing decoded
  return { text: fromCodeUnits(units.subarray(0, count)), start: start.subarray(0, count), end: end.subarray(0, count) };
}

/** The byte of the `%XX` at `at`. */
function byteAt(text: string, at: number): number {
  return Number.parseInt(text.slice(at + 1, at + 3), 16);
}

/** The code point of a valid UTF-8 sequence of 2 to 4 `%XX` at `at`, and the length of its text. */
function utf8At(text: string, at: number): [number, number] | undefined {
  const lead = byteAt(text, at);
  const bytes = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (bytes === 0) return undefined;
  let codePoint = lead & (0xff >> (bytes + 1));
  for (let n = 1; n < bytes; n++) {
    const from = at + 3 * n;
    if (text[from] !== '%' || !isHex(text, from + 1, 2)) return undefined;
    const byte = byteAt(text, from);
    if ((byte & 0xc0) !== 0x80) return undefined;
    codePoint = (codePoint << 6) | (byte & 0x3f);
  }
  const shortest = bytes === 2 ? 0x80 : bytes === 3 ? 0x800 : 0x10000;
  if (codePoint < shortest || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return undefined;
  return [codePoint, 3 * bytes];
}

function isHex(text: string, from: number, digits: number): boolean {
  if (from + digits > text.length) return false;
  for (let i = from; i < from + digits; i++) {
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

/** `text` up to `until`, with each of `ranges` (merged where they overlap) replaced by `replacement`. */
function replaceRanges(text: string, ranges: Range[], replacement: string, until: number): string {
  ranges.sort((a, b) => a[0] - b[0]);
  let result = '';
  let copied = 0;
  for (let index = 0; index < ranges.length; ) {
    const from = ranges[index]![0];
    let to = ranges[index]![1];
    for (index++; index < ranges.length && ranges[index]![0] < to; index++) to = Math.max(to, ranges[index]![1]);
    result += text.slice(copied, from) + replacement;
    copied = to;
  }
  return result + text.slice(copied, Math.max(copied, until));
}
