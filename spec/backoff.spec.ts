import { expect } from 'chai';
import fc from 'fast-check';
import { backoffDelay, isJitter, JITTERS, MAX_TIMER_MS, type BackoffOptions, type Jitter } from '../lib/backoff.js';

const base = { initialDelay: 1000, multiplier: 2, maxDelay: 30_000 } as const;

function options(jitter: Jitter, random: number, extra: Partial<BackoffOptions> = {}): BackoffOptions {
  return { ...base, jitter, random: () => random, ...extra };
}

function sequence(jitter: Jitter, random: number, attempts: number, extra: Partial<BackoffOptions> = {}): number[] {
  return Array.from({ length: attempts }, (_, index) => backoffDelay(index + 1, options(jitter, random, extra)));
}

/** Decorrelated jitter feeds each delay into the next, as the operator does. */
function decorrelated(randoms: readonly number[], extra: Partial<BackoffOptions> = {}): number[] {
  let previousDelay: number | undefined;
  return randoms.map((random, index) => {
    const delay = backoffDelay(index + 1, { ...options('decorrelated', random, extra), previousDelay });
    previousDelay = delay;
    return delay;
  });
}

describe('backoffDelay', () => {
  describe("jitter 'none'", () => {
    it('doubles from initialDelay and stops at maxDelay', () => {
      expect(sequence('none', 0.5, 7)).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    });

    it('ignores random', () => {
      expect(sequence('none', 0, 3)).to.deep.equal(sequence('none', 0.99, 3));
    });

    it('follows the multiplier', () => {
      expect(sequence('none', 0, 4, { multiplier: 3, initialDelay: 10, maxDelay: 100 })).to.deep.equal([10, 30, 90, 100]);
    });

    it('stays at initialDelay with multiplier 1', () => {
      expect(sequence('none', 0, 3, { multiplier: 1 })).to.deep.equal([1000, 1000, 1000]);
    });

    it('rounds to whole milliseconds', () => {
      expect(sequence('none', 0, 3, { initialDelay: 10, multiplier: 1.5 })).to.deep.equal([10, 15, 23]);
    });
  });

  describe("jitter 'full'", () => {
    it('is random * cap', () => {
      expect(sequence('full', 0.5, 7)).to.deep.equal([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
    });

    it('is 0 when random is 0', () => {
      expect(sequence('full', 0, 3)).to.deep.equal([0, 0, 0]);
    });

    it('reaches the cap when random is 1', () => {
      expect(sequence('full', 1, 6)).to.deep.equal([1000, 2000, 4000, 8000, 16_000, 30_000]);
    });
  });

  describe("jitter 'equal'", () => {
    it('is cap / 2 + random * cap / 2', () => {
      expect(sequence('equal', 0.5, 6)).to.deep.equal([750, 1500, 3000, 6000, 12_000, 22_500]);
    });

    it('never goes under half the cap', () => {
      expect(sequence('equal', 0, 6)).to.deep.equal([500, 1000, 2000, 4000, 8000, 15_000]);
    });
  });

  describe("jitter 'decorrelated'", () => {
    it('draws between initialDelay and 3 * previousDelay', () => {
      // 1000 + 0.5 * (3000 - 1000) = 2000; 1000 + 0.5 * (6000 - 1000) = 3500; 1000 + 0.5 * 9500 = 5750
      expect(decorrelated([0.5, 0.5, 0.5])).to.deep.equal([2000, 3500, 5750]);
    });

    it('starts from previousDelay = initialDelay', () => {
      expect(backoffDelay(1, options('decorrelated', 1))).to.equal(3000);
      expect(backoffDelay(1, { ...options('decorrelated', 1), previousDelay: 1000 })).to.equal(3000);
    });

    it('is initialDelay when random is 0', () => {
      expect(decorrelated([0, 0, 0])).to.deep.equal([1000, 1000, 1000]);
    });

    it('is capped at maxDelay', () => {
      expect(decorrelated([1, 1, 1, 1, 1])).to.deep.equal([3000, 9000, 27_000, 30_000, 30_000]);
    });

    it('ignores the attempt number and the multiplier', () => {
      const withOther = { ...options('decorrelated', 0.25), multiplier: 7, previousDelay: 4000 };
      expect(backoffDelay(1, withOther)).to.equal(3750);
      expect(backoffDelay(40, withOther)).to.equal(3750);
    });

    it('stays within [initialDelay, maxDelay] for any random', () => {
      let seed = 42;
      const lcg = () => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const delays = decorrelated(Array.from({ length: 500 }, lcg), { initialDelay: 100, maxDelay: 5000 });
      expect(delays.every((delay) => delay >= 100 && delay <= 5000)).to.equal(true);
      expect(new Set(delays).size).to.be.greaterThan(10); // the draw really varies
    });

    it('survives a previousDelay of Infinity', () => {
      expect(backoffDelay(1, { ...options('decorrelated', 0), previousDelay: Infinity })).to.equal(1000);
      expect(backoffDelay(1, { ...options('decorrelated', 1), previousDelay: Infinity })).to.equal(30_000);
    });
  });

  describe('large attempt numbers', () => {
    for (const jitter of JITTERS) {
      it(`keep the delay at maxDelay with jitter '${jitter}'`, () => {
        for (const attempt of [31, 64, 1025, 10_000, Number.MAX_SAFE_INTEGER]) {
          const delay = backoffDelay(attempt, options(jitter, 1, { previousDelay: 30_000 }));
          expect(delay, `attempt ${attempt}`).to.equal(30_000);
        }
      });
    }

    it('never yield NaN with initialDelay 0 (0 * Infinity)', () => {
      for (const jitter of JITTERS) {
        expect(backoffDelay(5000, { ...options(jitter, 0.5), initialDelay: 0 }), jitter).to.equal(0);
      }
    });
  });

  describe('the timer limit (2^31 - 1 ms)', () => {
    it('is 2147483647', () => {
      expect(MAX_TIMER_MS).to.equal(2 ** 31 - 1);
    });

    for (const jitter of JITTERS) {
      it(`never exceeds it with jitter '${jitter}', even with maxDelay Infinity, NaN or above it`, () => {
        for (const maxDelay of [Infinity, Number.NaN, 2 * MAX_TIMER_MS, MAX_TIMER_MS + 0.4]) {
          for (const attempt of [1, 40, 10_000]) {
            const delay = backoffDelay(attempt, options(jitter, 1, { initialDelay: 3e9, maxDelay, previousDelay: Infinity }));
            expect(delay, `maxDelay ${maxDelay}, attempt ${attempt}`).to.equal(MAX_TIMER_MS);
          }
        }
      });
    }

    it('holds for any options: a whole number of ms in [0, min(maxDelay, 2147483647)]', () => {
      const anyDelay = fc.oneof(fc.double({ min: 0, max: 1e12, noNaN: true }), fc.constantFrom(0, MAX_TIMER_MS, Infinity));
      fc.assert(
        fc.property(
          fc.constantFrom(...JITTERS),
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ min: 0, max: 1e9, noNaN: true }),
          anyDelay,
          fc.double({ min: 1, max: 1e6, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.option(anyDelay, { nil: undefined }),
          (jitter, attempt, initialDelay, maxDelay, multiplier, random, previousDelay) => {
            const delay = backoffDelay(attempt, { initialDelay, maxDelay, multiplier, jitter, random: () => random, previousDelay });
            expect(Number.isInteger(delay), String(delay)).to.equal(true);
            expect(delay).to.be.within(0, Math.min(MAX_TIMER_MS, Math.ceil(maxDelay)));
          },
        ),
        { seed: 20_261_124, numRuns: 2000 },
      );
    });
  });

  describe('random outside [0, 1)', () => {
    it('is clamped, and NaN counts as 0', () => {
      expect(backoffDelay(1, options('full', 2))).to.equal(1000);
      expect(backoffDelay(1, options('full', -1))).to.equal(0);
      expect(backoffDelay(1, options('full', Number.NaN))).to.equal(0);
    });
  });

  describe('isJitter', () => {
    it('accepts the four jitters only', () => {
      expect(JITTERS.every(isJitter)).to.equal(true);
      expect(['FULL', 'random', '', undefined, 1].some(isJitter)).to.equal(false);
    });
  });
});
