/**
 * Commits of the at-least-once processing guarantee: a task's records go
 * through an idempotent producer, awaited, and only then are its offsets
 * committed, without a transaction. A crash between the two repeats records
 * (state may re-apply them); nothing is lost.
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

  /** Nothing to fence without transactions. */
  async init(): Promise<void> {}

  /**
   * Writes the records, then commits the offsets.
   *
   * @throws {CommitError} when either failed (never fenced).
   */
  async commit(batch: CommitBatch): Promise<WrittenOffsets> {
    try {
      const written = await this.producer.send(batch.records);
      await this.commitAppOffsets(batch.offsets.filter((offset) => offset.groupId === this.appGroupId));
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
