// The send queue's refusal path: a refusal stays a refusal whatever error value comes with it.
import { expect } from 'chai';
import { asyncScheduler } from 'rxjs';
import { SendQueue, type DroppedSend } from '../../lib/session/send-queue.js';

describe('SendQueue.fail with a falsy error (from JS, or a server field that is empty)', () => {
  it('still rejects the receipt and reports the drop, never "acknowledged"', async () => {
    const dropped: DroppedSend<string>[] = [];
    const queue = new SendQueue<string>({
      maxQueued: 10,
      overflow: 'reject',
      expireAfter: Infinity,
      rateLimit: undefined,
      awaitsAck: true,
      scheduler: asyncScheduler,
      onDropped: (drop) => dropped.push(drop),
      onPendingChange: () => undefined,
    });
    queue.setWriter(() => true);
    const receipt = queue.enqueue('hello', '"hello"', 'k1');
    expect(receipt.status).to.equal('written');
    expect(queue.fail('k1', null as unknown as Error)).to.equal(true);
    let outcome = 'pending';
    await receipt.then(
      () => (outcome = 'resolved'),
      () => (outcome = 'rejected'),
    );
    expect({ outcome, status: receipt.status, dropped: dropped.length }).to.deep.equal({
      outcome: 'rejected',
      status: 'failed',
      dropped: 1,
    });
  });
});
