import { expect } from 'chai';
import { Observable, Subject, type Subscriber } from 'rxjs';
import { LayerSubscriber } from '../lib/layer-subscriber.js';

// Our operators' per-subscription state is subscribed to the source as it is (no SafeSubscriber).
// That is only safe while it keeps an rxjs Subscriber's contract, which these pin.

class Doubler extends LayerSubscriber<number, number> {
  stops = 0;
  protected override handle(value: number): void {
    if (value < 0) throw new Error(`negative: ${value}`);
    this.subscriber.next(value * 2);
  }
  protected override stop(): void {
    this.stops++;
  }
}

/** `source` through a Doubler, recording what reaches the consumer; `layer` is the one created. */
function doubled(source: Observable<number>) {
  const seen: string[] = [];
  let layer: Doubler | undefined;
  const output = new Observable<number>((subscriber: Subscriber<number>) => {
    layer = new Doubler(subscriber);
    source.subscribe(layer);
    return layer;
  });
  const subscription = output.subscribe({
    next: (value) => seen.push(`next ${value}`),
    error: (error: Error) => seen.push(`error ${error.message}`),
    complete: () => seen.push('complete'),
  });
  return { seen, layer: layer!, subscription };
}

describe('LayerSubscriber: an rxjs Subscriber contract without the wrappers', () => {
  it('is taken by rxjs as the subscriber itself (no SafeSubscriber around it)', () => {
    let given: unknown;
    const source = new Observable<number>((subscriber) => {
      given = subscriber;
    });
    const { layer } = doubled(source);
    expect(given).to.equal(layer);
  });

  it('passes values on, then nothing after complete, and tears the source down once', () => {
    const source = new Subject<number>();
    let teardowns = 0;
    const observed = new Observable<number>((subscriber) => {
      const inner = source.subscribe(subscriber);
      return () => {
        teardowns++;
        inner.unsubscribe();
      };
    });
    const { seen, layer } = doubled(observed);
    source.next(1);
    source.complete();
    layer.next(5); // a late value from a misbehaving source
    layer.error(new Error('late'));
    expect(seen).to.deep.equal(['next 2', 'complete']);
    expect(teardowns).to.equal(1);
    expect(layer.stops).to.equal(1);
    expect(layer.closed).to.equal(true);
  });

  it('errors the output with what handle() threw, and unsubscribes from the source', () => {
    const source = new Subject<number>();
    const { seen, layer } = doubled(source);
    source.next(2);
    source.next(-1);
    source.next(3);
    expect(seen).to.deep.equal(['next 4', 'error negative: -1']);
    expect(source.observed).to.equal(false);
    expect(layer.stops).to.equal(1);
  });

  it('on unsubscribe by the consumer: the source is torn down before stop(), once, and nothing passes after', () => {
    const order: string[] = [];
    const source = new Subject<number>();
    const observed = new Observable<number>((subscriber) => {
      const inner = source.subscribe(subscriber);
      return () => {
        order.push('source torn down');
        inner.unsubscribe();
      };
    });
    const { seen, layer, subscription } = doubled(observed);
    const stop = layer['stop'].bind(layer);
    layer['stop'] = () => {
      order.push('stop');
      stop();
    };
    subscription.unsubscribe();
    subscription.unsubscribe();
    layer.unsubscribe();
    layer.next(1);
    expect(order).to.deep.equal(['source torn down', 'stop']);
    expect(seen).to.deep.equal([]);
    expect(layer.stops).to.equal(1);
  });

  it('runs a teardown added after it closed at once, and every teardown even when one throws', () => {
    const source = new Subject<number>();
    const { layer } = doubled(source);
    const ran: string[] = [];
    layer.add(() => {
      ran.push('first');
      throw new Error('teardown failed');
    });
    layer.add({ unsubscribe: () => ran.push('second') });
    const removed = () => ran.push('removed');
    layer.add(removed);
    layer.remove(removed);
    expect(() => layer.unsubscribe()).to.throw('teardown failed');
    expect(ran).to.deep.equal(['first', 'second']);
    expect(layer.stops).to.equal(1);
    layer.add(() => ran.push('late'));
    expect(ran).to.deep.equal(['first', 'second', 'late']);
  });

  it('unsubscribes when the source completes synchronously inside subscribe', () => {
    const source = new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.complete();
      subscriber.next(2);
    });
    const { seen, layer } = doubled(source);
    expect(seen).to.deep.equal(['next 2', 'complete']);
    expect(layer.closed).to.equal(true);
  });
});
