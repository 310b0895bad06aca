/**
 * The ring that keeps an instance's recent history (history_sampler.ts fills it): a fixed number of samples, each a
 * time and one number per series, in preallocated Float64Arrays — one for the times and one per series, allocated once
 * at construction — so its memory is `8 × capacity × (1 + series)` bytes however long the instance runs. A full ring
 * overwrites its oldest sample. A missing value (a lag Kafka did not answer) is stored as NaN and read as null.
 *
 * @module
 */

/** The samples a ring holds, oldest first: their times and, per series, their values (null where missing). */
export interface RingContents {
  /** Sample times (ms since the epoch), oldest first. */
  at: number[];
  /** Per series, in the ring's series order: one value per sample, null where missing. */
  values: (number | null)[][];
}

/** A fixed-size ring of samples, one number per series. */
export class HistoryRing {
  /** Samples it holds at most. */
  readonly capacity: number;
  /** The series' names, in the order `push` takes their values. */
  readonly series: readonly string[];
  readonly #at: Float64Array;
  readonly #columns: Float64Array[];
  /** Where the next sample goes. */
  #next = 0;
  #size = 0;

  /**
   * Allocates the ring: all its memory, once.
   *
   * @param capacity Samples it keeps (a positive integer).
   * @param series The names of the values of each sample.
   * @throws {RangeError} for a capacity that is not a positive integer.
   */
  constructor(capacity: number, series: readonly string[]) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`a history ring holds a positive whole number of samples, not ${capacity}`);
    }
    this.capacity = capacity;
    this.series = [...series];
    this.#at = new Float64Array(capacity);
    this.#columns = this.series.map(() => new Float64Array(capacity));
  }

  /** The bytes a ring of this capacity and number of series holds (its arrays; not the few fields around them). */
  static bytesFor(capacity: number, seriesCount: number): number {
    return 8 * capacity * (1 + seriesCount);
  }

  /** The bytes this ring's arrays hold. */
  get bytes(): number {
    return HistoryRing.bytesFor(this.capacity, this.series.length);
  }

  /** Samples held (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a sample, overwriting the oldest when full.
   *
   * @param at Its time (ms since the epoch).
   * @param values One per series, in order; null where missing.
   * @throws {RangeError} when the values do not match the series.
   */
  push(at: number, values: readonly (number | null)[]): void {
    if (values.length !== this.#columns.length) {
      throw new RangeError(
        `a sample has ${this.#columns.length} values (${this.series.join(", ")}), not ${values.length}`,
      );
    }
    const i = this.#next;
    this.#at[i] = at;
    values.forEach((value, s) => this.#columns[s][i] = value ?? NaN);
    this.#next = (i + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The samples, oldest first. */
  read(): RingContents {
    const first = (this.#next - this.#size + this.capacity) % this.capacity;
    const index = (k: number) => (first + k) % this.capacity;
    const at = Array.from({ length: this.#size }, (_, k) => this.#at[index(k)]);
    const values = this.#columns.map((column) =>
      Array.from({ length: this.#size }, (_, k) => {
        const value = column[index(k)];
        return Number.isNaN(value) ? null : value;
      })
    );
    return { at, values };
  }
}
