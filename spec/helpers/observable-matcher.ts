import { expect } from 'chai';

/**
 * TestScheduler matcher: deep equality, except that errors are compared by name and message, not
 * by stack or identity (as rxjs's own spec helpers do).
 */
export function observableMatcher(actual: unknown, expected: unknown): void {
  expect(normalize(actual)).to.deep.equal(normalize(expected));
}

function normalize(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, normalize(entry)]));
  }
  return value;
}
