import { AssertionError, expect } from 'chai';

/**
 * TestScheduler matcher: chai deep equality, except that errors are compared by `name` and
 * `message` only, never by stack or identity (as rxjs's own `spec/helpers/observableMatcher.ts`).
 * Errors are normalised wherever they sit in arrays and plain objects: error notifications, and
 * values such as a `reconnecting` event's `cause`. Class instances (a `SocketConnection`, a
 * subscription log) are left to chai, which compares them structurally and copes with cycles.
 *
 * On a mismatch it fails with one line per frame (`12: N {"type":"reconnecting",...}`) for both
 * sides, and gives mocha the same text to diff.
 *
 * @example
 * beforeEach(() => {
 *   testScheduler = new TestScheduler(observableMatcher);
 * });
 */
export function observableMatcher(actual: unknown, expected: unknown): void {
  const normalActual = normalize(actual, new Map());
  const normalExpected = normalize(expected, new Map());
  try {
    expect(normalActual).to.deep.equal(normalExpected);
  } catch {
    const actualText = describe(normalActual);
    const expectedText = describe(normalExpected);
    throw new AssertionError(`\nExpected\n${actualText}\nto deep equal\n${expectedText}\n`, {
      actual: actualText,
      expected: expectedText,
      showDiff: true,
    });
  }
}

/** Copies arrays and plain objects, turning every Error in them into `{ name, message }`. */
function normalize(value: unknown, seen: Map<object, unknown>): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value === null || typeof value !== 'object' || !isPlain(value)) return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(normalize(item, seen));
    return copy;
  }
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, entry] of Object.entries(value)) copy[key] = normalize(entry, seen);
  return copy;
}

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** One line per marble frame or subscription log, anything else as compact JSON. */
function describe(value: unknown): string {
  if (!Array.isArray(value)) return stringify(value);
  return value.map((item) => `\t${describeItem(item)}`).join('\n');
}

function describeItem(item: unknown): string {
  if (item !== null && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    if ('frame' in record && 'notification' in record) {
      const notification = record['notification'] as { kind?: string; value?: unknown; error?: unknown };
      const payload = notification.kind === 'E' ? notification.error : notification.kind === 'N' ? notification.value : undefined;
      return `${String(record['frame'])}: ${notification.kind ?? '?'}${payload === undefined ? '' : ` ${stringify(payload)}`}`;
    }
    if ('subscribedFrame' in record && 'unsubscribedFrame' in record) {
      return `^ ${String(record['subscribedFrame'])}, ! ${String(record['unsubscribedFrame'])}`;
    }
  }
  return stringify(item);
}

function stringify(value: unknown): string {
  const seen = new WeakSet<object>();
  const text = JSON.stringify(value, (_key, entry: unknown) => {
    if (entry === undefined) return 'undefined';
    if (typeof entry === 'number' && !Number.isFinite(entry)) return String(entry);
    if (typeof entry === 'function') return `[Function ${entry.name || 'anonymous'}]`;
    if (entry === null || typeof entry !== 'object') return entry;
    if (!isPlain(entry)) return `[${entry.constructor?.name ?? 'Object'}]`;
    if (seen.has(entry)) return '[Circular]';
    seen.add(entry);
    return entry;
  });
  return text ?? String(value);
}
