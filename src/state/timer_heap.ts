/**
 * A min-heap of pending timers by fire time: the task's clock checks only the
 * earliest one, so a million timers cost nothing until they are due, and a
 * delay longer than `setTimeout` allows (2^31−1 ms) is just a large number.
 *
 * @module
 */

/** An entry of the heap. */
export interface HeapEntry<T> {
  /** When it is due (epoch ms). */
  fireAt: number;
  /** The payload. */
  item: T;
}

/** A binary min-heap; ties leave in insertion order. */
export class TimerHeap<T> {
  readonly #entries: { fireAt: number; seq: number; item: T }[] = [];
  #seq = 0;

  /** How many entries the heap holds (cancelled ones included until they surface). */
  get size(): number {
    return this.#entries.length;
  }

  /** Adds an entry. */
  push(fireAt: number, item: T): void {
    const entries = this.#entries;
    entries.push({ fireAt, seq: this.#seq++, item });
    let index = entries.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#less(index, parent)) break;
      this.#swap(index, parent);
      index = parent;
    }
  }

  /** The earliest fire time, if any. */
  peekTime(): number | undefined {
    return this.#entries[0]?.fireAt;
  }

  /** Removes and returns the earliest entry if it is due at `now`. */
  popDue(now: number): HeapEntry<T> | undefined {
    const entries = this.#entries;
    if (entries.length === 0 || entries[0].fireAt > now) return undefined;
    const top = entries[0];
    const last = entries.pop()!;
    if (entries.length > 0) {
      entries[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < entries.length && this.#less(left, smallest)) smallest = left;
        if (right < entries.length && this.#less(right, smallest)) smallest = right;
        if (smallest === index) break;
        this.#swap(index, smallest);
        index = smallest;
      }
    }
    return { fireAt: top.fireAt, item: top.item };
  }

  #less(a: number, b: number): boolean {
    const x = this.#entries[a];
    const y = this.#entries[b];
    return x.fireAt < y.fireAt || (x.fireAt === y.fireAt && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const entries = this.#entries;
    [entries[a], entries[b]] = [entries[b], entries[a]];
  }
}
