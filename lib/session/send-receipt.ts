/**
 * Where a sent message is: waiting, written to the socket, acknowledged by the server, or failed.
 *
 * @example
 * const label: Record<SendStatus, string> = { queued: 'sending', written: 'sent', acknowledged: 'delivered', failed: 'not sent' };
 * showStatus(label[receipt.status]);
 */
export type SendStatus = 'queued' | 'written' | 'acknowledged' | 'failed';

/**
 * Moves an unsettled receipt between 'queued' and 'written' (it goes back to 'queued' when written
 * on a socket that died before the server acknowledged it). For the send queue only; a module
 * function, set by the class (it reaches private fields), so a receipt holds no closures of its own.
 */
export let moveReceipt: (receipt: SendReceipt, status: 'queued' | 'written') => void;

/**
 * Settles a receipt once: resolved as 'written' (no ack configured) or 'acknowledged', or rejected
 * with `error` as 'failed' (refused, dropped, expired, or the session ended). Later calls do nothing.
 */
export let settleReceipt: (receipt: SendReceipt, status: 'written' | 'acknowledged' | 'failed', error?: unknown) => void;

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
  // Plain private fields, not `#` ones: a `#` field throws when a getter or method runs through a
  // Proxy of the receipt (an app keeping receipts in Vue's reactive() or a MobX observable).
  private current: SendStatus = 'queued';
  private readonly promise: Promise<void>;
  // The promise's own settle functions, dropped once it settles: undefined means settled.
  private resolve: (() => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  static {
    moveReceipt = (receipt, status) => {
      if (receipt.resolve) receipt.current = status;
    };
    settleReceipt = (receipt, status, error) => {
      const resolve = receipt.resolve;
      const reject = receipt.reject!;
      if (!resolve) return;
      receipt.resolve = receipt.reject = undefined;
      receipt.current = status;
      if (status === 'failed') reject(error);
      else resolve();
    };
  }

  /** @internal Created by the send queue (and `connect`), which settle it with {@link settleReceipt}. */
  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.promise.catch(noop); // handled here; awaiting callers still see the rejection
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

/** A receipt that failed already: a send refused before it was queued. */
export function failedReceipt(error: unknown): SendReceipt {
  const receipt = new SendReceipt();
  settleReceipt(receipt, 'failed', error);
  return receipt;
}

function noop(): void {}
