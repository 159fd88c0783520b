/**
 * Where a sent message is: waiting, written to the socket, acknowledged by the server, or failed.
 *
 * @example
 * const label: Record<SendStatus, string> = { queued: 'sending', written: 'sent', acknowledged: 'delivered', failed: 'not sent' };
 * showStatus(label[receipt.status]);
 */
export type SendStatus = 'queued' | 'written' | 'acknowledged' | 'failed';

/** What settles a {@link SendReceipt}; kept by the queue, never handed to the caller. */
export interface ReceiptControl {
  /** The frame went out (it may go out again after a reconnect if it was not acknowledged). */
  written(): void;
  /** Back in the queue: written on a socket that died before the server acknowledged it. */
  requeued(): void;
  /** Done: written (no ack configured) or acknowledged. */
  resolve(status: 'written' | 'acknowledged'): void;
  /** Not delivered: refused, dropped, expired or the session ended. */
  reject(error: unknown): void;
}

/**
 * What `session.send()` returns: awaitable like a Promise (it resolves once the frame was written,
 * or acknowledged when the session has `sendAck`), with the delivery `status` readable at any time.
 *
 * Unlike a bare Promise, a receipt nobody awaits never raises an unhandled rejection (a fire-and-
 * forget send that expires must not crash a Node process); failures are also on `dropped$`.
 *
 * @example
 * const receipt = session.send({ type: 'send', clientId: 'c-1', text: 'hi' });
 * receipt.status; // 'queued'
 * await receipt;  // written (or acknowledged)
 */
export class SendReceipt implements PromiseLike<void> {
  private current: SendStatus = 'queued';
  private settledAsWritten = false;
  private readonly promise: Promise<void>;

  /** @internal Created by the send queue, which keeps the control. */
  constructor(bind: (control: ReceiptControl) => void) {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    this.promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.promise.catch(() => undefined); // handled here; awaiting callers still see the rejection
    const settled = () => this.current === 'failed' || this.current === 'acknowledged' || this.settledAsWritten;
    bind({
      written: () => {
        if (!settled()) this.current = 'written';
      },
      requeued: () => {
        if (!settled()) this.current = 'queued';
      },
      resolve: (status) => {
        if (settled()) return;
        this.current = status;
        this.settledAsWritten = status === 'written';
        resolve();
      },
      reject: (error) => {
        if (settled()) return;
        this.current = 'failed';
        reject(error);
      },
    });
  }

  /**
   * The delivery status now; it may go back from 'written' to 'queued' when a socket dies before
   * the server acknowledged the frame.
   *
   * @example
   * if (receipt.status === 'queued') showPendingBadge();
   */
  get status(): SendStatus {
    return this.current;
  }

  /**
   * Promise interop: `await receipt` and `receipt.then(...)` settle once the frame is written (or
   * acknowledged, with `sendAck`) and reject with the typed reason when it is not delivered.
   *
   * @example
   * session.send(message).then(
   *   () => console.log('sent'),
   *   (error) => console.error('not delivered', error),
   * );
   */
  then<A = void, B = never>(
    onFulfilled?: ((value: void) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.promise.then(onFulfilled, onRejected);
  }

  /**
   * Handles a failed delivery (refused, dropped, expired, or the session ended).
   *
   * @example
   * session.send(message).catch((error) => console.error('not delivered', error));
   */
  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<void | B> {
    return this.promise.catch(onRejected);
  }

  /**
   * Runs once the receipt settles, delivered or not.
   *
   * @example
   * await session.send(message).finally(() => spinner.stop());
   */
  finally(onFinally?: (() => void) | null): Promise<void> {
    return this.promise.finally(onFinally);
  }
}
