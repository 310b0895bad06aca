/**
 * The task's intake (Kafka Streams' PartitionGroup): fetched records wait here, outside any epoch, until the task's
 * queues have room for them; the task then takes them in chunks — part of a fetch when only part fits — and their
 * offsets advance only then. How much is taken in ahead follows the measured rate (what the task works off in a quarter of
 * the carry-over time, at least MIN_INTAKE_AHEAD), so an epoch never holds seconds of work behind a backlog. Back-pressure
 * lives here too: the ingress partitions pause while too much waits and resume once half of it is done. Also the
 * latest position of every partition of the task, for commits and re-commits.
 *
 * @module
 */

import type { GroupOffset, RecordHandoff } from "../ports.ts";
import type { TaskFlow } from "./types.ts";

/**
 * Fetched records a task takes in at most while this many messages (or more: what it works off in a quarter of the
 * carry-over time, measured) are queued; the rest waits, outside any epoch, until the queues are shorter. Taking in a
 * whole fetch at once made epochs hold seconds of work behind a backlog: each then waited the carry-over time and
 * persisted all its queued messages as pending (two changelog records each). A quarter, not a half: a record taken in
 * may become several messages (the remote greeter's two hops), and a slow remote function's queue then reached the
 * carry-over time (2 391 messages carried in a remote greeter run at a half and a floor of 500).
 */
const MIN_INTAKE_AHEAD = 200;

/** Fetched records of a task not taken in yet, and its flow control. */
export class RecordIntake {
  readonly #flow: TaskFlow;
  readonly #maxQueued: number;
  readonly #carryOverAfterMs: number;
  #held: RecordHandoff[] = [];
  /** When each held fetch arrived (performance.now()), in step with `#held`. */
  #heldAt: number[] = [];
  /** How many records of the first held fetch were taken already. */
  #heldFrom = 0;
  #heldRecords = 0;
  #paused = false;
  /** Messages done per second (smoothed over ticks). */
  #rate = 0;
  #rateSampledAt: number;
  #rateSampledDone = 0;
  /** When the fetch `next` took its last chunk from arrived (performance.now()): how long it was held. */
  heldSince: number | undefined;
  /** Times the ingress was paused. */
  pauses = 0;
  /** The latest offset of every partition of the task, by `topic/partition`. */
  readonly positions = new Map<string, GroupOffset>();
  /** Records each partition had left to fetch at its last fetch (high watermark − next offset), by `topic/partition`. */
  readonly #lag = new Map<string, number>();
  #totalLag = 0;

  /**
   * @param flow The consumer's flow control of the task's partitions.
   * @param limits Queued messages above which the ingress pauses, and the carry-over time.
   * @param now The time now (the rate's first sample).
   */
  constructor(flow: TaskFlow, limits: { maxQueued: number; carryOverAfterMs: number }, now: number) {
    this.#flow = flow;
    this.#maxQueued = limits.maxQueued;
    this.#carryOverAfterMs = limits.carryOverAfterMs;
    this.#rateSampledAt = now;
  }

  /** Records held, not taken in. */
  get heldRecords(): number {
    return this.#heldRecords;
  }

  /** Holds a fetch until the task takes it in. */
  hold(handoff: RecordHandoff): void {
    this.#held.push(handoff);
    this.#heldAt.push(performance.now());
    this.#heldRecords += handoff.records.length;
    if (handoff.highWatermark !== undefined) {
      const key = `${handoff.topic}/${handoff.partition}`;
      const lag = Math.max(0, handoff.highWatermark - handoff.nextOffset);
      this.#totalLag += lag - (this.#lag.get(key) ?? 0);
      this.#lag.set(key, lag);
    }
  }

  /** Records fetched and not taken in, and records the partitions had left to fetch at their last fetch. */
  get behind(): number {
    return this.#heldRecords + this.#totalLag;
  }

  /**
   * The next chunk to take in while `queued` messages wait, or undefined when nothing is held or the queues are full
   * enough. Only once half the room is free: records are taken in chunks, not one per finished message.
   */
  next(queued: number): RecordHandoff | undefined {
    if (this.#held.length === 0) return undefined;
    const ahead = Math.max(MIN_INTAKE_AHEAD, Math.round(this.#rate * this.#carryOverAfterMs / 4000));
    if (queued > ahead / 2) return undefined;
    const room = ahead - queued;
    const handoff = this.#held[0];
    const from = this.#heldFrom;
    const left = handoff.records.length - from;
    this.heldSince = this.#heldAt[0];
    if (left <= room) {
      this.#held.shift();
      this.#heldAt.shift();
      this.#heldFrom = 0;
      this.#heldRecords -= left;
      return from === 0 ? handoff : { ...handoff, records: handoff.records.slice(from) };
    }
    this.#heldFrom = from + room;
    this.#heldRecords -= room;
    return {
      ...handoff,
      records: handoff.records.slice(from, from + room),
      nextOffset: handoff.records[from + room].offset,
    };
  }

  /** Records the latest offset of a partition (taken in, or reset). */
  setPosition(offset: GroupOffset): void {
    this.positions.set(`${offset.topic}/${offset.partition}`, offset);
  }

  /** Samples the rate messages are done at (on the task's tick). */
  sampleRate(done: number, now: number): void {
    if (now <= this.#rateSampledAt) return;
    const rate = (done - this.#rateSampledDone) * 1000 / (now - this.#rateSampledAt);
    this.#rate = this.#rate === 0 ? rate : 0.7 * this.#rate + 0.3 * rate;
    this.#rateSampledAt = now;
    this.#rateSampledDone = done;
  }

  /**
   * Pauses the ingress while more than the limit waits (queued and held) or an address has more messages than its
   * next call can carry; resumes it once half is done, while the task runs.
   */
  updateFlow(queued: number, overfull: boolean, running: boolean): void {
    const waiting = queued + this.#heldRecords;
    if (!this.#paused) {
      if (waiting > this.#maxQueued || overfull) {
        this.#paused = true;
        this.pauses++;
        this.#flow.pauseIngress();
      }
    } else if (!overfull && waiting <= this.#maxQueued / 2 && running) {
      this.#paused = false;
      this.#flow.resumeIngress();
    }
  }

  /** Stops the consumer fetching any partition of the task (a halt at a record it cannot process). */
  pauseAll(): void {
    this.#flow.pauseAll();
  }

  /** Drops held records of these partitions (an offset reset: they were fetched before it). */
  dropPartitions(partitions: ReadonlySet<string>): void {
    const first = this.#held[0];
    const kept = this.#held.map((handoff, i) => [handoff, this.#heldAt[i]] as const)
      .filter(([{ topic, partition }]) => !partitions.has(`${topic}/${partition}`));
    this.#held = kept.map(([handoff]) => handoff);
    this.#heldAt = kept.map(([, at]) => at);
    if (this.#held[0] !== first) this.#heldFrom = 0;
    this.#heldRecords = -this.#heldFrom;
    for (const handoff of this.#held) this.#heldRecords += handoff.records.length;
  }

  /** Drops every held record (the task stops or drains: the next owner fetches them again). */
  drop(): void {
    this.#held = [];
    this.#heldAt = [];
    this.#heldFrom = 0;
    this.#heldRecords = 0;
  }
}
