/**
 * Commits of the at-least-once processing guarantee: a task's records go
 * through an idempotent producer, awaited, and only then are its offsets
 * committed, without a transaction. A crash between the two repeats records
 * (state may re-apply them); nothing is lost.
 *
 * Without a transaction nothing fences a zombie: an instance frozen past its session timeout, whose tasks moved, would
 * wake and write its stale state to the changelog after the new owner's — and a later restore would read it (state
 * lost; the chaos harness's pair-crc32-at-least-once, seeds 880019 and 880027). So each commit first commits the
 * offsets of the one before again, through the app's consumer: the group refuses it from a member it expelled (its
 * generation is gone), and the task stops before it writes anything. What is left is the freeze landing between that
 * check and the write — milliseconds, not the seconds before a woken consumer hears of its rebalance.
 *
 * @module
 */

import {
  type ClusterAdmin,
  type CommitBatch,
  CommitError,
  type GroupOffset,
  type RecordWriter,
  type TaskCommitter,
  type WrittenOffsets,
} from "./ports.ts";

/** Commits a task's records, then its offsets. */
export class AtLeastOnceCommitter implements TaskCommitter {
  /**
   * @param name For errors, e.g. `<app>-task-3`.
   * @param producer The app's idempotent producer.
   * @param appGroupId The app's group, whose offsets the app consumer commits.
   * @param commitAppOffsets Commits offsets of the app's group (through its consumer).
   * @param admin Commits offsets of ingress groups other than the app's (they have no members).
   */
  constructor(
    readonly name: string,
    private readonly producer: RecordWriter,
    private readonly appGroupId: string,
    private readonly commitAppOffsets: (offsets: GroupOffset[]) => Promise<void>,
    private readonly admin: ClusterAdmin,
  ) {}

  /** The app-group offsets of the last commit: committed again first, to check this instance is still a member. */
  #lastAppOffsets: GroupOffset[] = [];

  /** Nothing to fence without transactions (see the module's note on zombies). */
  async init(): Promise<void> {}

  /**
   * Writes the records, then commits the offsets.
   *
   * @throws {CommitError} when either failed (never fenced).
   */
  async commit(batch: CommitBatch): Promise<WrittenOffsets> {
    try {
      if (batch.records.length > 0 && this.#lastAppOffsets.length > 0) {
        await this.commitAppOffsets(this.#lastAppOffsets);
      }
      const written = await this.producer.send(batch.records);
      const appOffsets = batch.offsets.filter((offset) => offset.groupId === this.appGroupId);
      await this.commitAppOffsets(appOffsets);
      if (appOffsets.length > 0) {
        const last = new Map(this.#lastAppOffsets.map((offset) => [`${offset.topic}/${offset.partition}`, offset]));
        for (const offset of appOffsets) last.set(`${offset.topic}/${offset.partition}`, offset);
        this.#lastAppOffsets = [...last.values()];
      }
      const others = new Map<string, GroupOffset[]>();
      for (const offset of batch.offsets) {
        if (offset.groupId === this.appGroupId) continue;
        const key = JSON.stringify([offset.groupId, offset.topic]);
        const group = others.get(key);
        if (group === undefined) others.set(key, [offset]);
        else group.push(offset);
      }
      for (const offsets of others.values()) {
        await this.admin.setGroupOffsets(offsets[0].groupId, offsets[0].topic, offsets);
      }
      return written;
    } catch (error) {
      throw new CommitError(this.name, false, error);
    }
  }

  /** Nothing to close: the producer is the app's. */
  async close(): Promise<void> {}
}
