/**
 * Ownership of a large value passed to the one function that consumes it. A relation's labels are 16 bytes
 * per bit per lane, so a stale reference to an operator's input (a caller's local, a parameter an async
 * function keeps across its awaits) holds a whole extra copy of the rows while the operator builds its output.
 */
export class HandOver<T> {
  private value: T | undefined;

  constructor(value: T) {
    this.value = value;
  }

  /** The value, once: the hand-over keeps no reference to it afterwards. */
  take(): T {
    if (this.value === undefined) throw new Error("a handed-over value was taken twice");
    const value = this.value;
    this.value = undefined;
    return value;
  }
}

/** A value given directly (the caller keeps its reference) or handed over (it goes once the receiver drops it). */
export type Given<T> = T | HandOver<T>;

export function receive<T>(given: Given<T>): T {
  return given instanceof HandOver ? given.take() : given;
}
