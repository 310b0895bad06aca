/**
 * Restores a task's state: reads its changelog partition from the start to the last-stable offset through the app
 * consumer (the partition is fetched only while it restores) and applies every record to the task's state.
 *
 * @module
 */

import type { AppConsumerPort, ClusterAdmin, RecordHandoff } from "./ports.ts";
import type { Task } from "./task/task.ts";

/** The changelog reads of the tasks being restored. */
export class ChangelogRestorer {
  readonly #restoring = new Map<Task, { accept(handoff: RecordHandoff): void; abort(): void }>();

  /**
   * @param admin For the partition's offsets.
   * @param consumer The app consumer (subscribed to the changelog).
   * @param topic `<app>-changelog`.
   */
  constructor(readonly admin: ClusterAdmin, readonly consumer: AppConsumerPort, readonly topic: string) {}

  /**
   * Reads task p's changelog partition into its state; resolves with the records read, or early when aborted.
   *
   * @throws {Error} naming a changelog record that cannot be read.
   */
  async restore(task: Task, p: number): Promise<number> {
    const topic = this.topic;
    const offsets = (await this.admin.stableOffsets(topic)).find((o) => o.partition === p);
    if (offsets === undefined || offsets.lastStable <= offsets.low) return 0;
    let restored = 0;
    task.restoreProgress = { position: offsets.low, until: offsets.lastStable };
    try {
      await new Promise<void>((resolve, reject) => {
        this.#restoring.set(task, {
          accept: (handoff) => {
            try {
              task.restore(topic, handoff.records);
              restored += handoff.records.length;
              task.restoreProgress = { position: handoff.nextOffset, until: offsets.lastStable };
              if (handoff.nextOffset >= offsets.lastStable) resolve();
            } catch (error) {
              reject(error);
            }
          },
          abort: () => resolve(), // the caller sees the task is no longer current
        });
        this.consumer.seek(topic, p, offsets.low);
        this.consumer.resumeTask(p, [topic]);
      });
    } finally {
      this.#restoring.delete(task);
      this.consumer.pauseTask(p, [topic]);
    }
    return restored;
  }

  /** Takes fetched changelog records of a task being restored (others are dropped). */
  accept(task: Task, handoff: RecordHandoff): void {
    this.#restoring.get(task)?.accept(handoff);
  }

  /** Gives up a task's restore (the task moved, or the instance stops). */
  abort(task: Task): void {
    this.#restoring.get(task)?.abort();
  }
}
