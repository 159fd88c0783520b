import { expect } from 'chai';
import { CHECKS, formatKb, measure, type SizeResult } from '../../scripts/size.js';

describe('bundle size (npm run size)', () => {
  let results: SizeResult[];

  before(async () => {
    // Also fails if the main entry imports anything but rxjs, io-ts and fp-ts (browser safety).
    results = await measure();
  });

  for (const check of CHECKS) {
    it(`${check.name}: within ${formatKb(check.budget)} minified + gzip`, () => {
      const result = results.find((candidate) => candidate.name === check.name)!;
      expect(result.gzipped, `${check.name} is ${formatKb(result.gzipped)}`).to.be.at.most(check.budget);
    });
  }

  it('a single operator tree-shakes: each alone is well below the whole entry', () => {
    const whole = results[0]!.gzipped;
    for (const result of results.filter((candidate) => candidate.name.endsWith(' alone'))) {
      expect(result.gzipped, result.name).to.be.below(whole * 0.4);
    }
  });
});
