import { expect } from 'chai';
import { checkDuration } from '../lib/check-option.js';

describe('checkDuration', () => {
  it('takes 1 to 2147483647 ms', () => {
    expect(() => checkDuration(1, 'op', 'delay')).not.to.throw();
    expect(() => checkDuration(2_147_483_647, 'op', 'delay')).not.to.throw();
  });

  it('refuses 0, Infinity, longer timers, negatives, NaN and non-numbers unless the rule names them', () => {
    for (const value of [0, Infinity, 2_147_483_648, -1, NaN, '100', undefined]) {
      expect(() => checkDuration(value, 'op', 'delay'), String(value)).to.throw(
        TypeError,
        `op: delay must be a number of ms above 0 and at most 2147483647, got ${String(value)}`,
      );
    }
  });

  it('takes 0 and Infinity where the rule says what they mean, and names that meaning when refusing', () => {
    const rule = { zero: 'off', infinity: 'never' };
    expect(() => checkDuration(0, 'op', 'delay', rule)).not.to.throw();
    expect(() => checkDuration(Infinity, 'op', 'delay', rule)).not.to.throw();
    expect(() => checkDuration(-1, 'op', 'delay', rule)).to.throw(
      TypeError,
      'op: delay must be a number of ms above 0 and at most 2147483647, or 0 (off) or Infinity (never), got -1',
    );
    expect(() => checkDuration(Infinity, 'op', 'delay', { zero: 'off' })).to.throw(TypeError, ', or 0 (off), got Infinity');
  });
});
