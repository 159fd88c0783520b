import { checkOption } from '../check-option.js';

/** Configuration of a session's resume (see `ConnectConfig.resume`). */
export interface ResumeConfig<In, Id> {
  /**
   * The id of an inbound message, or `undefined` for messages without one (never de-duplicated).
   * The last id seen is passed to `auth.message` on every (re)connect so the server can replay
   * what was missed; a message whose id was already delivered is dropped.
   */
  idOf: (message: In) => Id | undefined;
  /**
   * How many recent ids are remembered to drop replayed duplicates.
   * @default 1000
   */
  window?: number;
  /**
   * The id to resume from on the very first connect (for example persisted by the app).
   * @default undefined
   */
  from?: Id;
  /**
   * Reads the server's position from its auth ack (the frame `auth.ack` recognised), or returns
   * `undefined`. Used while the session knows no position yet (no `from`, nothing delivered): the
   * first connect's ack then sets `lastId`, so a drop before the first message still resumes from
   * there and nothing published meanwhile is lost. Acks of re-auths on the same socket are not read.
   * @default undefined (no position until the first message)
   * @example
   * resume: { idOf: (message) => message.id, fromAck: (ack) => (AuthOk.is(ack) ? ack.lastId : undefined) },
   */
  fromAck?: (ack: unknown) => Id | undefined;
  /**
   * How many messages that arrive while `messages$` has no subscriber (the `grace` period after the
   * last one left, or a socket held open by pending sends) are kept and given to the next
   * subscriber first. Such a message has already moved `lastId` past it, so no replay brings it
   * back: without this, a route change in an app could lose it. Past the limit the oldest go
   * (reported once with console.warn); 0 keeps none.
   * @default 1000
   */
  maxUnobserved?: number;
}

/** What `auth.message` is told about resuming. */
export interface ResumeInfo<Id> {
  /**
   * Id of the last inbound message delivered to the app; before the first one, the position from
   * `resume.from` or `resume.fromAck`, else `undefined`.
   */
  readonly lastId: Id | undefined;
}

/**
 * Remembers the last delivered id and a bounded window of recent ids, and drops messages whose id
 * was already delivered (a server replaying from `lastId` may overlap what arrived live).
 */
export class ResumeTracker<In, Id> {
  readonly #seen = new Set<Id>();
  readonly #order: Id[] = [];
  readonly #config: ResumeConfig<In, Id>;
  readonly #window: number;
  #last: Id | undefined;

  constructor(config: ResumeConfig<In, Id>) {
    this.#config = config;
    this.#window = config.window ?? 1000;
    this.#last = config.from;
  }

  /** Id of the last message delivered. */
  get lastId(): Id | undefined {
    return this.#last;
  }

  /**
   * Takes the starting position from an auth ack, when `fromAck` is set and no position is known
   * yet; a known one (from `from` or a delivered message) is never moved by an ack.
   */
  adoptAck(ack: unknown): void {
    const { fromAck } = this.#config;
    if (fromAck && this.#last === undefined) this.#last = fromAck(ack);
  }

  /** Whether `message` is new (and records it); `false` for a duplicate, which must be dropped. */
  accept(message: In): boolean {
    const id = this.#config.idOf(message);
    if (id === undefined) return true;
    const seen = this.#seen;
    if (seen.has(id)) return false;
    seen.add(id);
    const order = this.#order;
    order.push(id);
    if (order.length > this.#window) seen.delete(order.shift()!);
    this.#last = id;
    return true;
  }
}

/** Validates the resume option at creation, naming the field in the TypeError. */
export function assertResume(resume: unknown): asserts resume is ResumeConfig<unknown, unknown> {
  check(typeof resume === 'object' && resume !== null, 'resume must be { idOf }');
  const { idOf, window, fromAck, maxUnobserved } = resume as Partial<ResumeConfig<unknown, unknown>>;
  check(typeof idOf === 'function', 'resume.idOf must be a function returning the id of an inbound message');
  check(
    fromAck === undefined || typeof fromAck === 'function',
    "resume.fromAck must be a function reading the server's position from the auth ack",
  );
  check(
    window === undefined || (Number.isInteger(window) && window > 0),
    `resume.window must be a positive integer, got ${String(window)}`,
  );
  check(
    maxUnobserved === undefined || (Number.isInteger(maxUnobserved) && maxUnobserved >= 0),
    `resume.maxUnobserved must be an integer from 0, got ${String(maxUnobserved)}`,
  );
}

function check(ok: boolean, problem: string): asserts ok {
  checkOption(ok, 'connect', problem);
}
