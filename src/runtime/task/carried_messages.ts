/**
 * Messages carried past a commit (ARCHITECTURE.md: the consistent cut with work carried over, as StateFun keeps
 * in-flight requests in its checkpoint): a closed epoch whose messages are not done after the carry-over time commits
 * without them, each persisted as a pending entry in its changelog; a restore queues pending entries again, first;
 * when a carried message is done, its effects and its entry's tombstone go to the oldest epoch still taking effects.
 *
 * @module
 */

import type { TaskState } from "../../state/task_state.ts";
import { type AddressQueues, CARRIED, type Envelope } from "./address_queues.ts";
import type { CommitCycle } from "./commit_cycle.ts";
import type { Epoch } from "./epoch.ts";

/** The task's carried messages and the pending entries that keep them. */
export class CarriedMessages {
  readonly #queues: AddressQueues;
  readonly #state: TaskState;
  readonly #cycle: CommitCycle;
  /** Queued messages persisted as pending (carried, or restored). */
  #queued = 0;

  /**
   * @param queues The task's address queues.
   * @param state The task's state (pending entries).
   * @param cycle The task's epochs.
   */
  constructor(queues: AddressQueues, state: TaskState, cycle: CommitCycle) {
    this.#queues = queues;
    this.#state = state;
    this.#cycle = cycle;
  }

  /** Queued messages persisted as pending: a drain need not wait for them (the next owner runs them). */
  get queued(): number {
    return this.#queued;
  }

  /** The messages a restore found pending (a previous owner carried them past its last commit), to queue first. */
  restored(): Envelope[] {
    const envelopes = this.#state.takeRestoredPending().map(({ seq, entry }): Envelope => {
      const { target, caller, argument, origin, kafka, carried } = entry;
      return { target, caller, argument, epoch: CARRIED, origin, kafka, carried, pendingSeq: seq };
    });
    this.#queued += envelopes.length;
    return envelopes;
  }

  /**
   * Lets a closed epoch commit without the messages still not done (a slow remote call, or those queued behind it):
   * they move out of it, and each is persisted as pending in the closed epoch's changelog. Its offsets then commit
   * with the messages kept: a restore queues them again, before anything newer. With `typenames`, only the messages
   * of those function types. How many were carried.
   */
  carry(closed: Epoch, typenames?: ReadonlySet<string>): number {
    const carried = this.#queues.carry(closed, typenames);
    for (const envelope of carried) {
      const { target, caller, argument, origin, kafka, carried } = envelope;
      const { seq, write } = this.#state.addPending({ target, caller, argument, origin, kafka, carried });
      envelope.pendingSeq = seq;
      envelope.trace?.mark("carried past the commit");
      closed.log([write]);
    }
    this.#queued += carried.length;
    return carried.length;
  }

  /**
   * The epoch a call's effects go to: its message's, or for carried messages the oldest epoch still taking effects
   * (the closed one unless it is committing: then none of its messages is queued behind this one), which also takes
   * the tombstones of their pending entries — so a carried message's effects never land in a newer epoch than those
   * of the messages behind it for its address, which would read its value first and commit before it.
   */
  settle(envelope: Envelope, batch: readonly Envelope[]): Epoch {
    if (envelope.epoch !== CARRIED) return envelope.epoch;
    const epoch = this.#cycle.closed ?? this.#cycle.open;
    for (const done of [envelope, ...batch]) {
      done.epoch = epoch;
      epoch.log([this.#state.pendingDone(done.pendingSeq!)]);
      this.#queued--;
    }
    epoch.outstanding += 1 + batch.length; // counted until done, like its own messages
    return epoch;
  }

  /** Forgets them (the task stopped: its queues were cleared). */
  clear(): void {
    this.#queued = 0;
  }
}
