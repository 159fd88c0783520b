import type { Subscriber } from 'rxjs';

/**
 * Keeps the messages that arrive while `messages$` has no subscriber (the grace period after the
 * last one left, or a socket held open by pending sends) and hands them to the next subscriber.
 * With resume, such a message has already moved the position past it: no replay would bring it
 * back, so dropping it here would lose it. Bounded: past `limit`, the oldest go, and the loss is
 * reported (console.warn) once per gap, without the messages (they may hold anything).
 */
export class UnobservedBuffer<In> {
  #kept: In[] = [];
  #warned = false;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Keeps `message` for the next subscriber. */
  keep(message: In): void {
    if (this.#limit === 0) return; // the app chose to keep none
    if (this.#kept.length === this.#limit) {
      this.#kept.shift();
      if (!this.#warned) {
        this.#warned = true;
        console.warn(
          `rxjs-socket-pipeline: messages$ had no subscriber and more than ${this.#limit} messages arrived; ` +
            'the oldest are dropped (raise resume.maxUnobserved, or keep one subscriber for the life of the session)',
        );
      }
    }
    this.#kept.push(message);
  }

  /**
   * Gives the kept messages to `subscriber`, oldest first. Stops if it unsubscribes on the way;
   * what it did not get stays for the next one (ahead of anything kept since).
   */
  handTo(subscriber: Subscriber<In>): void {
    this.#warned = false;
    // Taken out first: a handler may subscribe another subscriber, which must not take the rest.
    const kept = this.#kept.splice(0);
    let given = 0;
    while (given < kept.length && !subscriber.closed) subscriber.next(kept[given++]!);
    // concat, not unshift(...): a spread of 100k+ arguments throws in V8 (maxUnobserved has no cap).
    if (given < kept.length) this.#kept = kept.slice(given).concat(this.#kept);
  }

  /** Forgets everything: the session ended. */
  clear(): void {
    this.#kept.length = 0;
  }
}
