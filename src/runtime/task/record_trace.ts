/**
 * The walk of a sampled record through its task, stage by stage, for finding where a record's time goes (the remote
 * path above all): `--trace-every <n>` traces every nth record of each partition (by offset). A trace starts when the
 * record is taken in; each call of each hop (a greeter, then the deliverer it messaged) marks when it started and
 * when its answer was applied; the epoch marks when it closed, when its commit started and when it ended; then the
 * task logs one line — and, for a record whose messages were carried past that commit, another when the epoch that
 * took their effects commits. Untraced records carry nothing: the per-record path pays one comparison.
 *
 * @module
 */

import type { RecordOrigin } from "../routing.ts";

/** One record's stages, in ms since it was taken in. */
export class RecordTrace {
  readonly #started: number;
  readonly #stages: [string, number][] = [];

  /**
   * @param origin The record.
   * @param heldMs How long it was held, fetched, before the task took it in.
   * @param now The time it was taken in (performance.now()).
   */
  constructor(readonly origin: RecordOrigin, readonly heldMs: number, now: number) {
    this.#started = now;
  }

  /** Marks a stage now. */
  mark(stage: string, now = performance.now()): void {
    this.#stages.push([stage, now - this.#started]);
  }

  /** The stages so far, each with its time since the record was taken in. */
  get stages(): readonly (readonly [string, number])[] {
    return this.#stages;
  }

  /** `in/0@1234: held 0.2 ms, then +0.1 ms greeter call, +2.9 ms greeter applied, …`. */
  format(): string {
    const { topic, partition, offset } = this.origin;
    const stages = this.#stages.map(([stage, ms]) => `+${ms.toFixed(1)} ms ${stage}`).join(", ");
    return `${topic}/${partition}@${offset}: held ${this.heldMs.toFixed(1)} ms, then ${stages}`;
  }
}
