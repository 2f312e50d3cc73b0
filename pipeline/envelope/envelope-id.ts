import { randomBytes } from 'node:crypto';

/**
 * Ids for the envelopes one receiver process builds: `<instance>.<counter>`, e.g.
 * `Qk3xv9LbTq2A.1f`. The instance part is 72 random bits drawn at start-up (base64url, 12
 * characters), so two receivers, or one receiver before and after a restart, never share ids; the
 * counter (base 36) makes each id in the process unique at the cost of an increment. An envelope
 * that Kafka stores twice (a produce retry after an ambiguous failure) keeps its id at both
 * offsets, and the worker derives the event's document id from it, so the copy is recognised.
 */
export class EnvelopeIds {
  readonly instance: string;
  #next = 0;

  constructor(instance: string = randomBytes(9).toString('base64url')) {
    this.instance = instance;
  }

  next(): string {
    return `${this.instance}.${(this.#next++).toString(36)}`;
  }
}
