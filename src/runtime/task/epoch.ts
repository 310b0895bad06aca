/**
 * An epoch: the unit of one commit of a task. Every envelope belongs to the
 * epoch that was open when it arrived; its effects go to that epoch, and the
 * epoch commits only when all its envelopes are done, with the offsets after
 * its last records. That is the consistent cut: committed offsets and committed
 * effects correspond exactly.
 *
 * @module
 */

import type { UncommittedWrite } from "../../state/task_state.ts";
import type { EgressRecord } from "../egress_router.ts";
import type { GroupOffset, OutgoingRecord } from "../ports.ts";
import type { RecordTrace } from "./record_trace.ts";

/** What one commit of a task writes. */
export class Epoch {
  /** Envelopes of this epoch not yet done. */
  outstanding = 0;
  /** When it closed (it takes nothing new after), on the task's clock. */
  closedAt: number | undefined;
  /** Changelog writes by key: a later write of a key replaces an earlier one (compaction would anyway). */
  readonly changelog = new Map<string, UncommittedWrite>();
  /** Mailbox records and exactly-once egress records, in order. */
  readonly records: OutgoingRecord[] = [];
  /** Records for at-least-once egresses, written and awaited before the commit. */
  readonly atLeastOnce: EgressRecord[] = [];
  /** The offsets to commit, by `topic/partition`. */
  readonly offsets = new Map<string, GroupOffset>();
  /** Addresses whose messages applied effects in this epoch (by address key). */
  readonly touched = new Set<string>();
  /** Traced records whose messages were done in this epoch (logged once it commits). */
  traces: Set<RecordTrace> | undefined;

  /** Whether committing it would write nothing. */
  get empty(): boolean {
    return this.outstanding === 0 && this.changelog.size === 0 && this.records.length === 0 &&
      this.atLeastOnce.length === 0 && this.offsets.size === 0;
  }

  /** Adds changelog writes. */
  log(writes: Iterable<UncommittedWrite>): void {
    for (const write of writes) this.changelog.set(write.id, write);
  }

  /** Sets the offset to commit for a partition. */
  commitOffset(offset: GroupOffset): void {
    this.offsets.set(`${offset.topic}/${offset.partition}`, offset);
  }
}
