/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine, so a fault schedule that found a bug can be replayed exactly. Not for secrets.
 *
 * @example
 * const random = seededRandom(42);
 * console.log(random() === seededRandom(42)());
 * // true
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new TypeError(`seededRandom: seed must be an integer, got ${String(seed)}`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole number in `[min, max]` drawn from `random`.
 *
 * @example
 * const delay = randomInt(seededRandom(7), 100, 500); // the same value for seed 7, every run
 */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
