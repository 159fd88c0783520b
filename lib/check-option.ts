/**
 * Option validation shared by the factories: one place builds the `TypeError` text, so each check
 * costs only its own words in a browser bundle.
 */

/**
 * Throws `TypeError("<owner>: <problem>")` unless `ok`. Internal helper.
 *
 * @example
 * checkOption(typeof serialize === 'function', 'fromWebSocket', 'serialize must be a function');
 */
export function checkOption(ok: boolean, owner: string, problem: string): asserts ok {
  if (!ok) throw new TypeError(`${owner}: ${problem}`);
}
