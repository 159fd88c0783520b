// Putting back what a subscriber did not take (first(), take(n)) works for any maxUnobserved: no
// spread of 100k+ arguments, which V8 refuses.
import { expect } from 'chai';
import { Observable, take, toArray } from 'rxjs';
import { UnobservedBuffer } from '../../lib/session/unobserved-buffer.js';

describe('UnobservedBuffer with a large maxUnobserved', () => {
  it('keeps what a first() subscriber did not take for the next subscriber, without throwing', () => {
    const limit = 200_000;
    const buffer = new UnobservedBuffer<number>(limit);
    for (let id = 0; id < limit; id++) buffer.keep(id);
    const handed = new Observable<number>((subscriber) => buffer.handTo(subscriber));

    let firstTaken: number[] = [];
    let thrown: unknown;
    handed.pipe(take(1), toArray()).subscribe({ next: (values) => (firstTaken = values), error: (error: unknown) => (thrown = error) });
    expect(thrown, 'error of the first subscriber').to.equal(undefined);
    expect(firstTaken).to.deep.equal([0]);

    let rest: number[] = [];
    handed.pipe(take(limit - 1), toArray()).subscribe((values) => (rest = values));
    expect(rest.length, 'messages left for the next subscriber').to.equal(limit - 1);
    expect(rest[0]).to.equal(1);
  });
});
