/**
 * Where a task's restore starts: after its local store's checkpoint when that is safe, else at the start of the
 * changelog partition with the store emptied. What makes a checkpoint unsafe (Kafka Streams applies the same rules to
 * its checkpoint file):
 *
 * - there is none: a first start on this machine, an in-memory store, or a store that was dropped;
 * - it is before the partition's first offset: records after it were deleted (retention, `deleteRecords`), so the
 *   store may miss changes;
 * - it is past the partition's end: the changelog was recreated (an app reset), the store belongs to another log;
 * - it is older than the changelog's `delete.retention.ms`: compaction may have dropped a tombstone written after
 *   it, and a tail read would then keep a value the app deleted.
 *
 * An unclean stop is not among them: a store only ever holds writes of committed epochs, applied after their commit
 * (state_store.ts), so whatever the process was doing when it died, the store is a prefix of the committed
 * changelog and its checkpoint says which — under exactly-once and at-least-once alike.
 *
 * @module
 */

import type { Checkpoint } from "../state/state_store.ts";

/** Where to restore from, and why. */
export interface RestoreStart {
  /** The changelog offset to read from. */
  from: number;
  /** Whether the store must be emptied first (a full restore). */
  full: boolean;
  /** Why, for the task's log. */
  reason: string;
}

/** Decides where task's restore starts (see the module doc). */
export function restoreStart(
  checkpoint: Checkpoint | undefined,
  changelog: { low: number; lastStable: number },
  deleteRetentionMs: number,
  now: number,
): RestoreStart {
  const full = (reason: string) => ({ from: changelog.low, full: true, reason });
  if (checkpoint === undefined) return full("no local checkpoint");
  const { offset, writtenAt } = checkpoint;
  if (offset < changelog.low) {
    return full(`the checkpoint (offset ${offset}) is before the changelog's first offset ${changelog.low}`);
  }
  if (offset > changelog.lastStable) {
    return full(
      `the checkpoint (offset ${offset}) is past the changelog's end ${changelog.lastStable}: the changelog was recreated`,
    );
  }
  if (now - writtenAt >= deleteRetentionMs) {
    const hours = ((now - writtenAt) / 3_600_000).toFixed(1);
    return full(
      `the checkpoint is ${hours} h old, older than the changelog's delete.retention.ms (${deleteRetentionMs} ms): ` +
        `compaction may have removed deletions after it`,
    );
  }
  return { from: offset, full: false, reason: `the local checkpoint at offset ${offset}` };
}
