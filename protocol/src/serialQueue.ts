/**
 * Runs async steps one at a time, in the order they were queued: the host applies settings and
 * secrets to its engines this way, the extension starts and stops the host this way, so a second
 * click or a second change never interleaves with the first. A step that fails does not stop the
 * ones after it. It lives here because `protocol/` is the one package both sides share.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /** Queues `step`; resolves or rejects with its outcome once every earlier step has settled. */
  run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.tail.then(step, step);
    this.tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  /** Resolves once every step queued so far has settled. */
  idle(): Promise<void> {
    return this.tail;
  }
}
